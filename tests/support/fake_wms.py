"""Warehouse systems (WMS) on a local HTTP server, for tests that need them on the wire: each
at a path of its own (`/dallas`, `/store`), answering Ordo's requests (`ordo.wms.v1`) as the
test sets them, and keeping what each was sent."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.support.local_http import serving

TOKEN = "a-wms-token-of-some-length"
# What one WMS was sent: (method, path, Idempotency-Key, body); a lookup (GET) has neither
# key nor body: "" and {}.
Request = tuple[str, str, str, dict[str, Any]]


@dataclass
class FakeWms:
    """The WMSs on one server: each request with the bearer `TOKEN` is kept and answered by
    `routes` ((method, path) -> (status, JSON body or None)), else 404."""

    routes: dict[tuple[str, str], tuple[int, Any]]
    url: str = ""
    requests: list[Request] = field(default_factory=list)

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "who are you?"}
        key, sent = headers.get("Idempotency-Key", ""), json.loads(body) if body else {}
        self.requests.append((method, path, key, sent))
        return self.routes.get((method, path), (404, {"message": f"no {path} here"}))

    def sent_to(self, system: str) -> list[Request]:
        return [request for request in self.requests if request[1].startswith(f"/{system}/")]

    def entry(self, system: str, *locations: str, **options: Any) -> dict[str, Any]:
        """The ORDO_WMS entry of the WMS at `/<system>`, running `locations`."""
        return {"base_url": f"{self.url}/{system}", "token": TOKEN,
                "locations": list(locations), **options}  # fmt: skip


@contextmanager
def fake_wms(routes: Mapping[tuple[str, str], tuple[int, Any]]) -> Iterator[FakeWms]:
    """`FakeWms` answering `routes`, served until the block ends."""
    found = FakeWms(dict(routes))
    with serving(found.answer) as url:
        found.url = url
        yield found
