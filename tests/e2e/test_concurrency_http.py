"""Sixteen channels racing for one SKU over real HTTP on PostgreSQL never oversell it."""

from __future__ import annotations

import threading

import httpx
import pytest
from fastapi import FastAPI

from tests.e2e.conftest import Api, order
from tests.e2e.live import serve

CLIENTS = 16
ORDERS_EACH = 24
UNITS = 500


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """This module races on PostgreSQL only: the production database under real concurrency."""
    return postgres_url


def test_sixteen_clients_ordering_one_sku_with_500_units_get_exactly_500_granted(
    api: Api, app: FastAPI
) -> None:
    api.seed(sku="HOT-1", units=UNITS)
    barrier = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def channel(number: int, base: str) -> None:
        headers = {"X-API-Key": api.keys["channel"]}
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/health")
            barrier.wait()
            for index in range(ORDERS_EACH):
                body = order(f"RACE-{number}-{index}", sku="HOT-1", quantity=1 + index % 3)
                response = client.post("/v1/orders", json=body, headers=headers)
                with lock:
                    statuses.append(response.status_code)

    with serve(app) as base:
        threads = [threading.Thread(target=channel, args=(n, base)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    requested = CLIENTS * sum(1 + i % 3 for i in range(ORDERS_EACH))
    assert requested > UNITS
    assert statuses == [201] * CLIENTS * ORDERS_EACH
    [stock] = api.get("/v1/inventory/skus/HOT-1").json()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (UNITS, UNITS, 0)
    shipments = api.get("/v1/shipments?location=DAL-01&limit=500").json()
    granted = sum(line["quantity"] for s in shipments for line in s["lines"])
    assert granted == UNITS
