"""Box stock in memory: `uow.box_stock` of `InMemoryUnitOfWork` (unit tests, simulation),
behaving as `engine.adapters.box_stock_repository` does on the databases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from engine.domain.packaging import BoxStock
from engine.service_layer.unit_of_work import BoxStockStore

# A shipment's boxes taken: its location, box code -> parcels, and when.
_Use = tuple[str, dict[str, int], datetime]


class MemoryBoxStock(BoxStockStore):
    """Levels by (location, box) and the shipments whose boxes were taken. Levels are
    replaced, never changed in place, so a snapshot is a copy of the two dicts: with
    snapshots on, a transaction's first change saves them, and a rollback puts them back."""

    def __init__(self, snapshots: bool) -> None:
        self.snapshots = snapshots
        self.kept: dict[tuple[str, str], BoxStock] = {}
        self.used: dict[str, _Use] = {}
        self._saved: tuple[dict[tuple[str, str], BoxStock], dict[str, _Use]] | None = None

    def _changing(self) -> None:
        if self.snapshots and self._saved is None:
            self._saved = (dict(self.kept), dict(self.used))

    def commit(self) -> None:
        self._saved = None

    def rollback(self) -> None:
        if self._saved is not None:
            (self.kept, self.used), self._saved = self._saved, None

    def levels(self, location_code: str | None = None) -> Sequence[BoxStock]:
        return [
            replace(level)
            for key, level in sorted(self.kept.items())
            if location_code is None or key[0] == location_code
        ]

    def add(
        self, location_code: str, box_code: str, delta: int, at: datetime
    ) -> tuple[int | None, BoxStock]:
        was = self.kept.get((location_code, box_code))
        return self._put(location_code, box_code, (was.on_hand if was else 0) + delta, at)

    def set(
        self, location_code: str, box_code: str, on_hand: int, at: datetime
    ) -> tuple[int | None, BoxStock]:
        return self._put(location_code, box_code, on_hand, at)

    def _put(
        self, location_code: str, box_code: str, on_hand: int, at: datetime
    ) -> tuple[int | None, BoxStock]:
        self._changing()
        was = self.kept.get((location_code, box_code))
        version = was.version + 1 if was else 1
        level = BoxStock(location_code, box_code, on_hand, at, version)
        self.kept[(location_code, box_code)] = level
        return (was.on_hand if was else None), replace(level)

    def mark_used(
        self, shipment_id: str, location_code: str, boxes: Mapping[str, int], at: datetime
    ) -> bool:
        if shipment_id in self.used:
            return False
        self._changing()
        self.used[shipment_id] = (location_code, dict(boxes), at)
        return True
