"""JSON columns read back exactly as the json module reads them, whichever parser does it."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.adapters.database import loads

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to itself and each number of the same type."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@given(values)
def test_any_stored_value_reads_back_as_the_json_module_reads_it(value: Any) -> None:
    text = json.dumps(value)

    assert _same(loads(text), json.loads(text))
    assert _same(loads(text.encode()), json.loads(text))


def test_an_integer_beyond_64_bits_stays_an_exact_integer() -> None:
    assert loads(b'{"units": 1180591620717411303425}') == {"units": 2**70 + 1}


def test_nan_and_infinity_as_the_json_module_writes_them_are_read() -> None:
    read = loads("[NaN, Infinity, -Infinity]")

    assert math.isnan(read[0]) and read[1:] == [math.inf, -math.inf]
