"""A real uvicorn server for the app on a loopback port, in a background thread.

The socket is bound before uvicorn starts (port 0: the kernel picks a free one), so two test
sessions never race for a port.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI


@contextmanager
def serve(app: FastAPI, threads: int = 40) -> Iterator[str]:
    """Yield the base URL of `app` served by uvicorn until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 10 seconds")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def at_once(
    base: str, requests: Sequence[tuple[str, Any, dict[str, str]]], timeout: float = 60
) -> list[httpx.Response]:
    """POST each (path, json, headers) from its own client and thread, released together by
    a barrier so they reach the server as nearly at once as threads can."""
    barrier = threading.Barrier(len(requests))
    answers: list[httpx.Response | None] = [None] * len(requests)

    def send(index: int, path: str, body: Any, headers: dict[str, str]) -> None:
        with httpx.Client(base_url=base, timeout=timeout) as client:
            client.get("/health")  # connect first, so the barrier releases requests, not handshakes
            barrier.wait()
            answers[index] = client.post(path, json=body, headers=headers)

    threads = [
        threading.Thread(target=send, args=(index, *request))
        for index, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer is not None for answer in answers), "a client thread failed"
    return [answer for answer in answers if answer is not None]
