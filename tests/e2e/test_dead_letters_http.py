"""Dead letters over HTTP: an admin lists the events workers gave up on and redrives one,
on the in-process bus and on Redis Streams."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from engine.adapters.bus import InProcessBus
from engine.adapters.bus.base import EventBus
from engine.adapters.bus.dead_letters_sql import SqlDeadLetterStore
from engine.adapters.bus.redis_streams import RedisStreamsBus
from engine.adapters.orm import outbox
from engine.service_layer import audit
from tests.e2e.conftest import Api
from tests.support.engines import an_engine


def park(bus: EventBus, event_id: str = "42") -> None:
    """Publish one event and fail it until the bus parks it as a dead letter."""
    bus.publish("order.received", {"order_id": "ord_1"}, "ord_1", event_id=event_id)
    while True:
        [message] = bus.consume("worker-1", count=1)
        if bus.fail(message, "KeyError: 'carrier'", consumer="worker-1"):
            return


def test_an_admin_sees_a_dead_letter_with_its_error_and_redrives_it(api: Api) -> None:
    bus = InProcessBus(max_deliveries=3)
    api.container.event_bus = bus
    park(bus)
    [letter] = api.get("/v1/events/dead-letters").json()
    assert (letter["event_id"], letter["name"], letter["attempts"]) == ("42", "order.received", 3)
    assert (letter["error"], letter["consumer"]) == ("KeyError: 'carrier'", "worker-1")
    assert letter["payload"] == {"order_id": "ord_1"}

    redriven = api.post(f"/v1/events/dead-letters/{letter['id']}/redrive")
    assert redriven.status_code == 200, redriven.text
    assert redriven.json()["event_id"] == "42"
    assert api.get("/v1/events/dead-letters").json() == []
    [again] = bus.consume("worker-2", count=10)
    assert (again.event_id, again.payload) == ("42", {"order_id": "ord_1"})
    entry = api.get(f"/v1/audit?entity=dead_letter&entity_id={letter['id']}").json()[0]
    assert (entry["action"], entry["before"]["name"]) == ("event.redrive", "order.received")


def test_redriving_a_letter_that_is_not_there_is_404_and_changes_nothing(api: Api) -> None:
    api.container.event_bus = InProcessBus()
    missing = api.post("/v1/events/dead-letters/999/redrive")
    assert missing.status_code == 404
    assert "999" in missing.json()["detail"]
    assert api.get("/v1/audit?entity=dead_letter").json() == []


def test_a_redrive_whose_audit_entry_cannot_be_written_does_not_happen(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = InProcessBus(max_deliveries=1)
    api.container.event_bus = bus
    park(bus)
    [letter] = api.get("/v1/events/dead-letters").json()

    def audit_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT INTO audit_log", {}, Exception("database is locked"))

    monkeypatch.setattr(audit, "append", audit_down)
    answer = api.post(f"/v1/events/dead-letters/{letter['id']}/redrive")

    assert answer.status_code >= 500
    assert [d["event_id"] for d in api.get("/v1/events/dead-letters").json()] == ["42"]
    assert bus.consume("worker-2", count=10) == []


class FailingRedrive(InProcessBus):
    def redrive(self, letter_id: str) -> bool:
        raise ConnectionError("the bus is unreachable")


def test_a_redrive_the_bus_fails_is_audited_as_asked_and_then_as_failed(api: Api) -> None:
    bus = FailingRedrive(max_deliveries=1)
    api.container.event_bus = bus
    park(bus)
    [letter] = api.get("/v1/events/dead-letters").json()

    assert api.post(f"/v1/events/dead-letters/{letter['id']}/redrive").status_code == 500

    entries = api.get(f"/v1/audit?entity=dead_letter&entity_id={letter['id']}").json()
    assert sorted(e["action"] for e in entries) == ["event.redrive", "event.redrive_failed"]
    failed = next(e for e in entries if e["action"] == "event.redrive_failed")
    assert "the bus is unreachable" in failed["after"]["error"]


def test_only_admins_see_dead_letters(api: Api) -> None:
    for role in ("analyst", "support", "warehouse", "channel", "customer"):
        assert api.get("/v1/events/dead-letters", role=role).status_code == 403


def test_dead_letters_parked_in_redis_are_listed_newest_first_and_redriven(
    api: Api, redis_url: str
) -> None:
    bus = RedisStreamsBus(redis.Redis.from_url(redis_url), partitions=1, max_deliveries=1)
    api.container.event_bus = bus
    park(bus, "e-1")
    park(bus, "e-2")
    letters = api.get("/v1/events/dead-letters?limit=10").json()
    assert [letter["event_id"] for letter in letters] == ["e-2", "e-1"]
    older = letters[1]
    assert api.post(f"/v1/events/dead-letters/{older['id']}/redrive").status_code == 200
    assert [d["event_id"] for d in api.get("/v1/events/dead-letters").json()] == ["e-2"]
    # worker-1 still holds the partition's lease, so the redriven event comes back to it.
    [again] = bus.consume("worker-1", count=10)
    assert again.event_id == "e-1"


def test_the_api_lists_and_redrives_what_a_worker_process_parked_in_the_database(
    api: Api,
) -> None:
    """With the default in-process bus, `ordo worker` is another process: its dead letters
    reach the API through the database, and a redrive goes back through the outbox."""
    with an_engine(api.container.settings.database_url) as worker_engine:
        worker_bus = InProcessBus(max_deliveries=1, dead_letters=SqlDeadLetterStore(worker_engine))
        park(worker_bus, "7")
        [letter] = api.get("/v1/events/dead-letters").json()
        assert (letter["event_id"], letter["consumer"]) == ("7", "worker-1")

        assert api.post(f"/v1/events/dead-letters/{letter['id']}/redrive").status_code == 200

        assert api.get("/v1/events/dead-letters").json() == []
        with worker_engine.connect() as connection:
            queued = connection.execute(
                select(outbox.c.id, outbox.c.name).where(outbox.c.published_at.is_(None))
            ).all()
        assert [tuple(row) for row in queued] == [(7, "order.received")]
