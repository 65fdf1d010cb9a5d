"""The box catalogue a simulation packs shipments with, and the parcels it adds to the results.

A run is given the catalogue's path, as a deployment sets it (`ORDO_PACKAGING_FILE`), and
each process reads it with the loader `ordo serve` uses (`engine.pipeline.packing`), so a
replay's Decider packs and prices every shipment as the live one does. What the run used is
recorded in its summary as the file's path and the sha256 of its content: two runs with
different boxes can be told apart, and a file edited while a what-if runs is refused rather
than packed one way by one variant and another way by the next.

The Decider keeps a shipment's parcels only in a full trace, which a replay does not make for
every order (it is most of the Decider's cost), so each recorded shipment is packed again here
with the Decider's own packing step: it is deterministic, so these are the parcels it priced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.domain.catalog import Product
from engine.domain.packaging import BoxCatalog, PackagingError
from engine.pipeline.decide import Decider, Decision
from engine.pipeline.packing import load_packaging
from engine.simulation.errors import SimulationError


@dataclass(frozen=True)
class RunBoxes:
    """A box catalogue as a run read it: the boxes, the file, and its content's sha256."""

    catalog: BoxCatalog
    path: Path
    sha256: str

    def describe(self) -> dict[str, str]:
        """What `summary.json` records of it (`packaging`)."""
        return {"path": str(self.path), "sha256": self.sha256}


def read_boxes(path: Path, *, named: str = "box catalogue", sha256: str | None = None) -> RunBoxes:
    """The catalogue at `path`, read and checked; a bad one is a `SimulationError` naming
    `named` (the flag or setting that gave the path), the file and the field. `sha256`: the
    content the simulation started with, so a file changed since is refused."""
    try:
        catalog = load_packaging(Path(path))
        content = Path(path).read_bytes()
    except PackagingError as error:
        raise SimulationError(f"{named}: {error}") from None
    except OSError as error:  # gone between the two reads, say
        raise SimulationError(f"{named}: {path}: {error.strerror or error}") from None
    found = hashlib.sha256(content).hexdigest()
    if sha256 is not None and found != sha256:
        raise SimulationError(
            f"{named}: {path} has changed since the simulation started (sha256 {sha256[:12]}…, "
            f"now {found[:12]}…): its runs would not all pack with the same boxes; run it again"
        )
    return RunBoxes(catalog, Path(path), found)


def add_parcels(
    outcome: dict[str, Any],
    decision: Decision,
    products: Mapping[str, Product],
    catalog: BoxCatalog,
) -> None:
    """Give each shipment of `outcome` (see `outcome.py`) its `parcels` and `box_cost`: the
    boxes the Decider packed it into, and the part of its `rate` they cost."""
    for entry, shipment in zip(outcome["shipments"], decision.shipments, strict=True):
        lines = shipment.lines
        # The Decider's own step, not a copy of it, so the two cannot drift apart.
        packing = Decider.pack_shipment(
            catalog, shipment.location_code, lines, [products.get(a.sku) for a in lines]
        )
        entry["parcels"] = 1 if packing is None else len(packing.parcels)
        # A shipment no service took has no rate, so no box cost in it either.
        entry["box_cost"] = packing.box_cost if packing is not None and shipment.carrier else 0.0
