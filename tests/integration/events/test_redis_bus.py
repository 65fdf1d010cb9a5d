"""The Redis Streams bus against the real Redis: partitions, leases, claims, dead letters."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from engine.adapters.bus.redis_streams import RedisStreamsBus


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


def make_bus(client: redis.Redis, **overrides: int) -> RedisStreamsBus:
    options = {"partitions": 4, "claim_idle_ms": 200, "lease_ms": 600, "max_deliveries": 3}
    options.update(overrides)
    return RedisStreamsBus(client, **options)


def drain(bus: RedisStreamsBus, consumer: str, rounds: int = 5) -> list:
    got = []
    for _ in range(rounds):
        batch = bus.consume(consumer, count=50, block_ms=50)
        bus.ack(batch)
        got.extend(batch)
    return got


def test_events_of_one_order_arrive_in_publish_order(client: redis.Redis) -> None:
    bus = make_bus(client)
    for n in range(20):
        bus.publish("order.status_changed", {"n": n}, "order-7", event_id=f"e{n}")
        bus.publish("order.status_changed", {"n": n}, "order-9", event_id=f"f{n}")
    got = drain(bus, "w1")
    assert [m.payload["n"] for m in got if m.partition_key == "order-7"] == list(range(20))
    assert [m.payload["n"] for m in got if m.partition_key == "order-9"] == list(range(20))
    assert {m.event_id for m in got} == {f"e{n}" for n in range(20)} | {f"f{n}" for n in range(20)}
    assert bus.pending_count() == 0


def test_two_consumers_split_the_partitions_between_them(client: redis.Redis) -> None:
    bus_a, bus_b = make_bus(client), make_bus(client)
    bus_a.consume("a", count=1)
    bus_b.consume("b", count=1)
    time.sleep(0.3)  # past a third of the lease: both rebalance against two live consumers
    bus_a.consume("a", count=1)
    bus_b.consume("b", count=1)
    time.sleep(0.3)
    bus_b.consume("b", count=1)
    assert bus_a.owned("a").isdisjoint(bus_b.owned("b"))
    assert len(bus_a.owned("a")) == 2 and len(bus_b.owned("b")) == 2


def test_a_dead_consumers_pending_entries_are_claimed_by_another(client: redis.Redis) -> None:
    bus_a, bus_b = make_bus(client), make_bus(client)
    for n in range(8):
        bus_a.publish("x", {"n": n}, f"order-{n}", event_id=str(n))
    taken = bus_a.consume("a", count=100)
    assert len(taken) == 8  # "a" is alone, owns every partition, and then dies without acking
    time.sleep(0.7)  # its leases expire and its entries are idle past the claim timeout
    recovered = drain(bus_b, "b")
    assert sorted(m.event_id for m in recovered) == [str(n) for n in range(8)]
    assert all(m.attempts == 2 for m in recovered)
    assert bus_b.pending_count() == 0


def test_an_entry_that_keeps_failing_lands_in_the_dead_letters_with_its_error(
    client: redis.Redis,
) -> None:
    bus = make_bus(client)
    bus.publish("order.received", {"order_id": "o1"}, "o1", event_id="42")
    dead = False
    deadline = time.monotonic() + 5
    while not dead and time.monotonic() < deadline:
        for message in bus.consume("w", count=10, block_ms=50):
            dead = bus.fail(message, f"ValueError: boom #{message.attempts}", "w")
        time.sleep(0.05)
    letters = bus.dead_letters()
    assert dead and len(letters) == 1
    assert letters[0].event_id == "42" and letters[0].attempts == 3
    assert letters[0].error == "ValueError: boom #3"
    assert letters[0].payload == {"order_id": "o1"}
    assert bus.pending_count() == 0


def test_messages_given_back_on_shutdown_are_taken_at_once_without_counting_a_try(
    client: redis.Redis,
) -> None:
    bus_a, bus_b = make_bus(client, claim_idle_ms=60_000), make_bus(client, claim_idle_ms=60_000)
    bus_a.publish("x", {}, "k1", event_id="1")
    taken = bus_a.consume("a", count=10)
    bus_a.release("a", taken)
    bus_a.leave("a")
    got = bus_b.consume("b", count=10)
    assert [m.event_id for m in got] == ["1"]
    assert got[0].attempts == 1


def test_three_consumers_over_four_partitions_all_get_a_share(client: redis.Redis) -> None:
    buses = {name: make_bus(client) for name in ("a", "b", "c")}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for name, bus in buses.items():
            bus.consume(name, count=1)
        if all(bus.owned(name) for name, bus in buses.items()):
            break
        time.sleep(0.05)
    shares = sorted(len(bus.owned(name)) for name, bus in buses.items())
    assert shares == [1, 1, 2]
    owned = [p for name, bus in buses.items() for p in bus.owned(name)]
    assert sorted(owned) == [0, 1, 2, 3]


def test_a_redriven_dead_letter_is_delivered_again_under_its_event_id(client: redis.Redis) -> None:
    bus = make_bus(client, max_deliveries=1)
    bus.publish("order.received", {"order_id": "o9"}, "o9", event_id="99")
    [message] = bus.consume("w", count=10)
    assert bus.fail(message, "KeyError: 'sku'", "w")
    [letter] = bus.dead_letters()
    assert bus.redrive(letter.id)
    assert bus.dead_letters() == [] and not bus.redrive(letter.id)
    [again] = bus.consume("w", count=10)
    assert (again.event_id, again.payload) == ("99", {"order_id": "o9"})


def test_trimming_drops_acknowledged_entries_and_keeps_pending_and_unread_ones(
    client: redis.Redis,
) -> None:
    bus = make_bus(client, partitions=1)
    for n in range(10):
        bus.publish("x", {"n": n}, "k", event_id=str(n))
    taken = bus.consume("w", count=10)
    bus.ack(taken[:6])
    for n in range(10, 13):
        bus.publish("x", {"n": n}, "k", event_id=str(n))  # published, not yet read
    assert bus.trim() == 6
    assert client.xlen(bus.stream(0)) == 7
    bus.ack(taken[6:])
    assert [m.payload["n"] for m in bus.consume("w", count=10)] == [10, 11, 12]
    assert bus.pending_count() == 3
