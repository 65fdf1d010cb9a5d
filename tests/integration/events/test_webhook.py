"""The signed webhook as an operator turns it on: settings -> `ordo worker` -> a real local HTTP
receiver that checks the signature; a receiver that fails is retried, then dead-lettered,
without the alert's email being sent again."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from connectors.notifications.webhook import WebhookSink
from engine.adapters.bus import InProcessBus
from engine.adapters.bus.outbox_sql import SqlOutboxStore
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.events import ShipmentLate
from engine.service_layer.alerts import raise_alert
from engine.service_layer.notifications import AlertNotifier, WebhookNotifier
from engine.service_layer.outbox import OutboxRelay
from engine.worker import Worker, WorkerConfig
from ordo.bootstrap import build_app_container, build_workers
from ordo.settings import load_settings
from tests.support.local_http import serving

SECRET = "a-webhook-secret-of-some-length"


@dataclass
class Receiver:
    """A webhook receiver: answers with `statuses` in turn (204 once they run out), after
    `delay` seconds, and keeps every post whose signature checks out with `secret`."""

    url: str = ""
    secret: bytes = SECRET.encode()
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    posts: list[dict[str, Any]] = field(default_factory=list)
    badly_signed: int = 0

    def answer(self, headers: Mapping[str, str], body: bytes) -> int:
        expected = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("X-Ordo-Signature", ""), f"sha256={expected}"):
            self.badly_signed += 1
            return 401
        self.posts.append(json.loads(body))
        time.sleep(self.delay)
        return self.statuses.pop(0) if self.statuses else 204


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    with serving(lambda _method, _path, headers, body: (found.answer(headers, body), None)) as url:
        found.url = f"{url}/hooks/ordo"
        yield found


class Mailbox:
    """Stands in for the alert's email: the webhook's retries must not send it again."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def notify(self, kind: str, to: Sequence[str], context: Mapping[str, Any]) -> None:
        self.sent.append(context["alert"]["id"])


def a_worker(url: str, bus: InProcessBus, *observers: Any) -> tuple[Worker, Any]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    worker = Worker(
        bus=bus,
        uow_factory=lambda: SqlAlchemyUnitOfWork(factory),
        observers=list(observers),
        relay=OutboxRelay(SqlOutboxStore(engine), bus),
        config=WorkerConfig(name="w1", block_ms=0),
    )
    return worker, factory


def raise_one(factory: Any, severity: str = "high") -> str:
    with SqlAlchemyUnitOfWork(factory) as uow:
        alert = raise_alert(
            uow, rule="ops/late shipments", key="swift", severity=severity,
            message="6 late shipments for swift", recipients=["ops@shop.test"],
        )  # fmt: skip
        uow.commit()
    return alert.id


def run_until_idle(worker: Worker, turns: int = 10) -> None:
    for _ in range(turns):
        worker.run_once()


def test_the_worker_built_from_the_settings_posts_a_raised_alert_signed_with_the_secret(
    sqlite_url: str, receiver: Receiver
) -> None:
    settings = load_settings(
        database_url=sqlite_url, webhook_url=receiver.url, webhook_secret=SECRET,
        webhook_timeout_seconds=3,
    )  # fmt: skip
    with build_app_container(settings) as container:
        [worker] = build_workers(container, name="w1")
        [hook] = [o for o in worker.observers if isinstance(o, WebhookNotifier)]
        assert isinstance(hook.sink, WebhookSink)
        assert hook.sink.config.timeout_seconds == 3
        uows = container.uow_factory
        with uows() as uow:
            alert = raise_alert(uow, rule="ops/late shipments", key="swift", severity="high",
                                message="6 late shipments for swift")  # fmt: skip
            uow.commit()
        run_until_idle(worker, 3)
    assert receiver.badly_signed == 0
    [post] = receiver.posts
    assert post["kind"] == "alert"
    assert (post["alert"]["id"], post["alert"]["severity"]) == (alert.id, "high")


def test_without_a_webhook_url_the_worker_posts_nothing(sqlite_url: str) -> None:
    with build_app_container(load_settings(database_url=sqlite_url)) as container:
        [worker] = build_workers(container, name="w1")
    assert not any(isinstance(o, WebhookNotifier) for o in worker.observers)


def test_a_receiver_that_fails_twice_gets_the_same_signed_post_three_times_and_one_email(
    sqlite_url: str, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    bus = InProcessBus(max_deliveries=5)
    mailbox = Mailbox()
    hook = WebhookNotifier(WebhookSink({"url": receiver.url, "secret": SECRET}))
    worker, factory = a_worker(sqlite_url, bus, AlertNotifier(mailbox), hook)
    alert_id = raise_one(factory)
    run_until_idle(worker)
    assert [post["alert"]["id"] for post in receiver.posts] == [alert_id] * 3
    assert receiver.badly_signed == 0
    assert worker.failed == 2 and hook.sent == 1
    assert mailbox.sent == [alert_id]  # the email step committed the first time round
    assert bus.dead_letters() == []


def test_a_receiver_that_keeps_failing_dead_letters_the_alert_after_the_last_delivery(
    sqlite_url: str, receiver: Receiver
) -> None:
    receiver.statuses = [500] * 10
    bus = InProcessBus(max_deliveries=3)
    worker, factory = a_worker(
        sqlite_url, bus, WebhookNotifier(WebhookSink({"url": receiver.url, "secret": SECRET}))
    )
    raise_one(factory)
    run_until_idle(worker)
    assert len(receiver.posts) == 3
    [letter] = bus.dead_letters()
    assert letter.name == "alert.raised"
    host = receiver.url.removesuffix("/hooks/ordo")
    assert f"DeliveryError: webhook {host} answered 500" in letter.error
    assert "/hooks/ordo" not in letter.error  # a receiver's path may hold its token


def test_a_receiver_slower_than_the_timeout_counts_as_a_failed_delivery(
    sqlite_url: str, receiver: Receiver
) -> None:
    receiver.delay = 1.0
    bus = InProcessBus(max_deliveries=1)
    sink = WebhookSink({"url": receiver.url, "secret": SECRET, "timeout_seconds": 0.2})
    worker, factory = a_worker(sqlite_url, bus, WebhookNotifier(sink))
    raise_one(factory)
    run_until_idle(worker, 2)
    [letter] = bus.dead_letters()
    assert "unreachable" in letter.error and "timed out" in letter.error


def test_chosen_events_are_posted_and_alerts_below_the_minimum_severity_are_not(
    sqlite_url: str, receiver: Receiver
) -> None:
    hook = WebhookNotifier(
        WebhookSink({"url": receiver.url, "secret": SECRET}),
        events=("alert.raised", "shipment.late"), min_severity="high",
    )  # fmt: skip
    worker, factory = a_worker(sqlite_url, InProcessBus(), hook)
    raise_one(factory, severity="medium")
    with SqlAlchemyUnitOfWork(factory) as uow:
        uow.record(ShipmentLate("F-1", "O-1", "swift", "DAL-01", 5.5))
        uow.commit()
    run_until_idle(worker, 3)
    [post] = receiver.posts
    assert post["kind"] == "event"
    assert post["event"]["name"] == "shipment.late" and post["event"]["id"]
    assert post["event"]["payload"]["shipment_id"] == "F-1"
    assert post["event"]["payload"]["hours_late"] == 5.5
