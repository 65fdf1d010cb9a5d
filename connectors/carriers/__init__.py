"""Carrier connectors. `ratecard` prices from the YAML rate cards under `rulesets/carriers/`;
`easypost` buys real labels, tracks and voids them through EasyPost's multi-carrier API.

`build_carrier_apis` turns the configured entries (ORDO_CARRIER_APIS: an Ordo carrier code ->
its API connector's settings) into the connector of each code. EasyPost is built in; a plugin
package adds another provider through the `ordo.connectors` entry point (`connectors.base`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from connectors.base import Carrier, ConnectorRegistry, describe_config_error

DOCS = "docs/integrations.md"


class CarrierSettingsError(ValueError):
    """An entry that builds no carrier connector; the message names the entry and the field
    (`UPS.api_key: is required`) and never a value, which may be a key or a secret."""


def build_carrier_apis(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, Carrier]:
    """The API connector of each carrier code, one per entry; `provider` names its kind
    (easypost, or a plugin's carrier connector)."""
    if not entries:
        return {}
    # Imported here: the rate-card connector, which every Ordo process loads, lives in this
    # package too, and needs none of the API connector's HTTP and PDF code.
    from connectors.carriers.easypost import EasyPostCarrier

    registry = ConnectorRegistry()
    registry.register(EasyPostCarrier)
    registry.load_entry_points()
    carriers: dict[str, Carrier] = {}
    for code, entry in entries.items():
        provider = entry.get("provider")
        if not isinstance(provider, str) or not provider.strip():
            raise CarrierSettingsError(
                f"{code}.provider: is required, the carrier's API (such as easypost)"
            )
        if "code" in entry:
            raise CarrierSettingsError(
                f"{code}.code: is not a setting: the entry's name is the carrier code"
            )
        options = {key: value for key, value in entry.items() if key != "provider"}
        if provider.strip() == EasyPostCarrier.slug:
            options["code"] = code  # its quotes and messages name Ordo's carrier code
        try:
            connector = registry.build(Carrier.kind, provider.strip(), options)
        except LookupError as error:
            raise CarrierSettingsError(f"{code}.provider: {error}") from None
        except ValidationError as error:
            at, message = describe_config_error(error, DOCS)
            raise CarrierSettingsError(f"{code}.{at}: {message}") from None
        assert isinstance(connector, Carrier)  # registered under the carrier kind
        carriers[code] = connector
    return carriers
