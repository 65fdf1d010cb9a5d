"""ERP and CRM systems kept in step with Ordo: `http`, Ordo's JSON contract over HTTPS
(docs/integrations.md).

`build_erp_sync` builds the connector from its settings (ORDO_ERP_SYNC_URL, _SECRET,
_ENTITIES, _TIMEOUT_SECONDS), checked by its own settings model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from connectors.base import describe_config_error
from connectors.erp.http_sync import ENTITIES, HttpSync

__all__ = ["ENTITIES", "ErpSettingsError", "HttpSync", "build_erp_sync"]


class ErpSettingsError(ValueError):
    """Settings that build no ERP connector. `field` is the setting at fault (`secret`); the
    message says what is wrong with it and never its value, which may be the secret."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def build_erp_sync(options: Mapping[str, Any]) -> HttpSync:
    try:
        return HttpSync(options)
    except ValidationError as error:
        at, message = describe_config_error(error, "docs/integrations.md")
        field, _, item = at.partition(".")
        if item.isdigit():  # entities.1: the second name given
            message = f"entity {int(item) + 1}: {message}"
        raise ErpSettingsError(field, message) from None
