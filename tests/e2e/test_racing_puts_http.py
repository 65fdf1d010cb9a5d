"""Two PUTs creating the same new customer, product or location at once, over real HTTP on
PostgreSQL: both answer 200, the record is one of the two bodies, and each request is in the
audit log. Both requests are held, after reading that the key is free, until the other has
read it too, so they race every time rather than when the scheduler happens to let them."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.e2e.conftest import LOCATIONS, Api
from tests.e2e.live import serve
from tests.support.meeting_after_read import MeetingAfterRead

ADDRESS = {"postal_code": "10001", "line1": "12 Byron Row", "city": "New York"}
# path, repository, the two bodies, the field that tells them apart
RACES: dict[str, tuple[str, str, dict[str, Any], dict[str, Any], str]] = {
    "customer": (
        "/v1/customers/C-9",
        "customers",
        {"email": "ada@example.com", "tier": "gold", "default_address": ADDRESS},
        {"email": "ada@example.com", "tier": "silver", "default_address": ADDRESS},
        "tier",
    ),
    "product": (
        "/v1/products/SHOE-9",
        "products",
        {"name": "Trail shoe", "price": "59.90"},
        {"name": "Road shoe", "price": "64.00"},
        "name",
    ),
    "location": (
        "/v1/locations/DAL-09",
        "locations",
        LOCATIONS["DAL-01"],
        {**LOCATIONS["DAL-01"], "name": "Dallas overflow"},
        "name",
    ),
}


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL only: on SQLite the first request's read holds the one writer, and the
    second waits for its commit before reading (tests/support/meeting_after_read.py)."""
    return postgres_url


def put_at_once(base: str, path: str, bodies: list[dict[str, Any]], key: str) -> list[int]:
    ready = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def send(index: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/health")
            ready.wait()
            answer = client.put(path, json=bodies[index], headers={"X-API-Key": key})
            statuses[index] = answer.status_code

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("entity", list(RACES))
def test_two_puts_creating_the_same_new_record_at_once_both_answer_200(
    entity: str, api: Api, app: FastAPI
) -> None:
    path, repository, first, second, field = RACES[entity]
    meeting = threading.Barrier(2)
    sessions, plain = api.container.session_factory, api.container.uow_factory
    api.container.uow_factory = lambda: MeetingAfterRead(sessions, meeting, repository)
    try:
        with serve(app) as base:
            statuses = put_at_once(base, path, [first, second], api.keys["admin"])
    finally:
        api.container.uow_factory = plain  # the reads below have no one to meet

    assert statuses == [200, 200]
    stored = api.get(path).json()
    assert stored[field] in (first[field], second[field])
    key = path.rsplit("/", 1)[1]
    entries = api.get(f"/v1/audit?entity={entity}&entity_id={key}").json()
    assert [e["action"] for e in entries] == [f"{entity}.put"] * 2
    # The request that wrote last replaced the other's record with its own: the one stored.
    [replaced] = [e for e in entries if e["before"]]
    assert replaced["after"][field] == stored[field] != replaced["before"][field]
