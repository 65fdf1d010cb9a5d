"""An event's payload is the plain-data copy `dataclasses.asdict` would make, whatever plain
data it holds: the fast path must not change what the outbox and the bus carry."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.events import EVENT_TYPES, Event, OrderReceived

SCALARS = st.one_of(
    st.text(max_size=5), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()
)
PLAIN = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=3), inner, max_size=3),
    ),
    max_leaves=12,
)


@dataclasses.dataclass(frozen=True)
class Holding(Event):
    value: Any
    other: Any = None


@settings(max_examples=500)
@given(PLAIN, PLAIN)
def test_a_payload_equals_asdict_and_shares_nothing_mutable_with_the_event(
    value: Any, other: Any
) -> None:
    event = Holding(value, other)
    payload = event.payload()
    assert payload == dataclasses.asdict(event)
    assert [type(v) for v in payload.values()] == [type(value), type(other)]
    for copied, original in zip(payload.values(), (value, other), strict=True):
        if isinstance(original, list | dict):
            assert copied is not original


def test_an_event_is_rebuilt_from_its_payload() -> None:
    event = OrderReceived("o-1", "web")
    assert EVENT_TYPES[event.name](**event.payload()) == event
