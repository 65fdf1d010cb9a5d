"""The in-process bus keeps the Redis bus's contract: order per partition, one holder at a time."""

from __future__ import annotations

from engine.adapters.bus import InProcessBus
from engine.service_layer.outbox import partition_key_for


def test_one_keys_events_come_out_in_publish_order() -> None:
    bus = InProcessBus(partitions=4)
    for n in range(10):
        bus.publish("e", {"n": n}, "order-1")
        bus.publish("e", {"n": n}, "order-2")
    got = bus.consume("w", count=100)
    for key in ("order-1", "order-2"):
        assert [m.payload["n"] for m in got if m.partition_key == key] == list(range(10))


def test_a_partition_in_flight_with_one_consumer_is_not_handed_to_another() -> None:
    bus = InProcessBus(partitions=1)
    bus.publish("e", {"n": 1}, "k")
    bus.publish("e", {"n": 2}, "k")
    first = bus.consume("a", count=1)
    assert bus.consume("b", count=10) == []  # "a" still holds the partition
    bus.ack(first)
    assert [m.payload["n"] for m in bus.consume("b", count=10)] == [2]


def test_released_messages_go_back_to_the_head_of_their_partition() -> None:
    bus = InProcessBus(partitions=1)
    for n in range(3):
        bus.publish("e", {"n": n}, "k")
    taken = bus.consume("a", count=2)
    bus.release("a", taken)
    assert [m.payload["n"] for m in bus.consume("b", count=10)] == [0, 1, 2]


def test_alert_events_are_partitioned_by_rule_and_key_and_others_by_order() -> None:
    assert partition_key_for({"rule": "ops/late", "key": "ups", "order_id": "O-1"}) == (
        "alert:ops/late:ups"
    )
    assert partition_key_for({"order_id": "O-1", "sku": "S"}) == "O-1"
    assert partition_key_for({"sku": "S", "location_code": "L"}) == "S"


def test_partition_shares_add_up_to_every_partition_whatever_the_number_of_workers() -> None:
    from engine.adapters.bus.redis_streams import fair_share

    for partitions in (1, 4, 8, 13):
        for workers in range(1, 10):
            live = [f"w{i}" for i in range(workers)]
            shares = [fair_share(partitions, live, name) for name in live]
            assert sum(shares) == partitions
            assert max(shares) - min(shares) <= 1


def test_a_failed_message_waits_longer_after_each_attempt_while_its_partition_moves_on() -> None:
    now = [0.0]
    bus = InProcessBus(partitions=1, retry_seconds=1.0, clock=lambda: now[0])
    bus.publish("a", {}, "k", event_id="1")
    bus.publish("b", {}, "k", event_id="2")
    [first, second] = bus.consume("w", count=2)
    assert bus.fail(first, "SMTP refused") is False
    bus.ack([second])
    assert bus.consume("w") == [], "not before a second has passed"
    now[0] = 1.0
    [retry] = bus.consume("w")
    assert (retry.event_id, retry.attempts) == ("1", 2)
    bus.fail(retry, "SMTP refused")
    now[0] = 2.5
    assert bus.consume("w") == [], "the second wait is two seconds"
    now[0] = 3.0
    assert [m.attempts for m in bus.consume("w")] == [3]
    assert bus.pending_count() == 1
