"""A local HTTP server for tests that need a real outside system on the wire (a shop, a WMS,
an ERP, a webhook receiver): what it answers is the test's, how it serves is here."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# What the test's outside system makes of one request: (method, path, headers, body) ->
# (status, answer), the answer sent as JSON, or no body at all when it is None.
Answer = Callable[[str, str, dict[str, str], bytes], tuple[int, Any]]


@contextmanager
def serving(answer: Answer) -> Iterator[str]:
    """Serve `answer` on 127.0.0.1 (a free port) for GET, POST, PUT and DELETE until the
    block ends; yields the server's base URL (`http://127.0.0.1:<port>`)."""

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, said = answer(self.command, self.path, dict(self.headers), body)
            content = b"" if said is None else json.dumps(said).encode()
            try:
                self.send_response(status)
                if content:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            except OSError:
                pass  # the client gave up waiting (a test of its time-out)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, *args: Any) -> None:
            """Quiet: the server's own line per request would only clutter the test output."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
