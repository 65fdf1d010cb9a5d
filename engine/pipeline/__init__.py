"""The order pipeline: validation, sourcing and splitting, reservation, carrier selection.

`Decider` is pure (rules + optimiser, no I/O); the service layer persists what it decides.
"""

from engine.pipeline.decide import (
    Allocation,
    Backorder,
    Decider,
    DeciderSettings,
    Decision,
    PlannedShipment,
)
from engine.pipeline.stock_view import SnapshotStockView, StockLedger, StockView

__all__ = [
    "Allocation",
    "Backorder",
    "Decider",
    "DeciderSettings",
    "Decision",
    "PlannedShipment",
    "SnapshotStockView",
    "StockLedger",
    "StockView",
]
