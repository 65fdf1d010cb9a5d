"""The catalogue cache answers a transaction only for the catalogue number it read."""

from __future__ import annotations

import pytest

from engine.adapters import catalogue_cache
from engine.adapters.catalogue_cache import CatalogueCache


def _filled(version: int) -> CatalogueCache:
    cache = CatalogueCache()
    assert cache.get(version, "products", ["SKU-1"]) == {}
    cache.put(version, "products", {"SKU-1": "product one"})
    return cache


def test_what_was_kept_at_a_number_is_given_at_that_number() -> None:
    cache = _filled(7)

    assert cache.get(7, "products", ["SKU-1", "SKU-2"]) == {"SKU-1": "product one"}
    assert cache.get(7, "locations", ["SKU-1"]) == {}


def test_a_newer_number_empties_the_cache_and_fills_it_afresh() -> None:
    cache = _filled(7)

    assert cache.get(8, "products", ["SKU-1"]) == {}
    cache.put(8, "products", {"SKU-1": "product one, changed"})
    assert cache.get(8, "products", ["SKU-1"]) == {"SKU-1": "product one, changed"}


def test_a_transaction_that_read_an_older_number_is_neither_served_nor_kept() -> None:
    cache = _filled(8)

    assert cache.get(7, "products", ["SKU-1"]) == {}
    cache.put(7, "products", {"SKU-2": "read before the change"})
    assert cache.get(8, "products", ["SKU-2"]) == {}


def test_without_a_number_nothing_is_served_or_kept() -> None:
    """The row missing (a database emptied by hand): every read goes to the tables."""
    cache = CatalogueCache()

    assert cache.get(None, "products", ["SKU-1"]) == {}
    cache.put(None, "products", {"SKU-1": "product one"})
    assert cache.get(0, "products", ["SKU-1"]) == {}


def test_a_table_that_would_outgrow_the_limit_starts_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue_cache, "MAX_KEPT", 2)
    cache = _filled(7)
    cache.put(7, "products", {"SKU-2": "product two"})
    assert cache.get(7, "products", ["SKU-1", "SKU-2"]) == {
        "SKU-1": "product one",
        "SKU-2": "product two",
    }

    cache.put(7, "products", {"SKU-3": "product three"})

    assert cache.get(7, "products", ["SKU-1", "SKU-2", "SKU-3"]) == {"SKU-3": "product three"}
