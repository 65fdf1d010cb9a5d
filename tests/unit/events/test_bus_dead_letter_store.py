"""The in-process bus hands its dead letters to a store when it has one (the database's, in
Ordo's processes), and delivers a message again rather than lose it when the store fails."""

from __future__ import annotations

from dataclasses import replace

from engine.adapters.bus import DeadLetter, InProcessBus


class Store:
    """A store in memory, numbering letters as the database does."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []
        self.redriven: list[str] = []
        self.broken = False

    def add(self, letter: DeadLetter) -> DeadLetter:
        if self.broken:
            raise ConnectionError("database unavailable")
        parked = replace(letter, id=str(100 + len(self.letters)))
        self.letters.append(parked)
        return parked

    def recent(self, limit: int = 100) -> list[DeadLetter]:
        return list(reversed(self.letters))[:limit]

    def redrive(self, letter_id: str) -> bool:
        self.redriven.append(letter_id)
        return any(letter.id == letter_id for letter in self.letters)


def test_a_bus_with_a_store_parks_its_dead_letters_there_and_redrives_through_it() -> None:
    store = Store()
    bus = InProcessBus(max_deliveries=1, dead_letters=store)
    bus.publish("order.received", {"order_id": "ord_1"}, "ord_1", event_id="42")
    [message] = bus.consume("worker-1")

    assert bus.fail(message, "boom", consumer="worker-1")

    assert [(d.id, d.event_id, d.error) for d in bus.dead_letters()] == [("100", "42", "boom")]
    assert bus.redrive("100") and store.redriven == ["100"]
    # The store queues it for whichever worker takes it; this bus does not deliver it itself.
    assert bus.pending_count() == 0


def test_a_message_the_store_cannot_park_is_delivered_again_instead_of_lost() -> None:
    store = Store()
    store.broken = True
    bus = InProcessBus(max_deliveries=1, dead_letters=store)
    bus.publish("order.received", {"order_id": "ord_1"}, "ord_1", event_id="42")
    [message] = bus.consume("worker-1")

    assert not bus.fail(message, "boom", consumer="worker-1")

    [again] = bus.consume("worker-1")
    assert (again.event_id, again.attempts) == ("42", 1)
    store.broken = False
    assert bus.fail(again, "boom", consumer="worker-1")
    assert [d.event_id for d in store.letters] == ["42"]
