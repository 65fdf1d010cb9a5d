"""Warehouse systems (WMS) that released shipments are sent to: `http`, Ordo's JSON contract
over HTTPS (docs/integrations.md), built in; a plugin package adds another kind through the
`ordo.connectors` entry point (`connectors.base`).

`build_warehouses` turns the configured entries (ORDO_WMS: a name -> its connector's settings)
into the WMS serving each location code, `*` standing for every location no entry names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from connectors.base import ConnectorRegistry, WarehouseSystem, describe_config_error
from connectors.warehouse.http_wms import ANY_LOCATION, HttpWarehouse

DOCS = "docs/integrations.md"


class WarehouseSettingsError(ValueError):
    """An entry that builds no WMS connector; the message names the entry and the field
    (`dallas.base_url: is required`) and never a value, which may be a token or a secret."""


def build_warehouses(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, WarehouseSystem]:
    """The WMS of each location code (or of `*`), one connector per entry. `connector` names
    the entry's kind (`http` when left out); every kind lists the codes it serves in its
    `locations` setting, and a code served by two entries is refused."""
    if not entries:
        return {}
    registry = ConnectorRegistry()
    registry.register(HttpWarehouse)
    registry.load_entry_points()
    served: dict[str, WarehouseSystem] = {}
    served_by: dict[str, str] = {}
    for name, entry in entries.items():
        kind = str(entry.get("connector", HttpWarehouse.slug))
        options = {key: value for key, value in entry.items() if key != "connector"}
        try:
            connector = registry.build(WarehouseSystem.kind, kind, options)
        except LookupError as error:
            raise WarehouseSettingsError(f"{name}.connector: {error}") from None
        except ValidationError as error:
            at, message = describe_config_error(error, DOCS)
            raise WarehouseSettingsError(f"{name}.{at}: {message}") from None
        locations = getattr(connector.config, "locations", None)
        if not isinstance(connector, WarehouseSystem) or not locations:
            raise WarehouseSettingsError(
                f"{name}.connector: '{kind}' names no locations it serves (a `locations` setting)"
            )
        for code in locations:
            if code in served_by:
                which = "every other location (*)" if code == ANY_LOCATION else code
                raise WarehouseSettingsError(
                    f"{name}.locations: {which} is served by {served_by[code]} already; "
                    "a location's shipments go to one WMS"
                )
            served_by[code], served[code] = name, connector
        connector.entry_name = name
    return served
