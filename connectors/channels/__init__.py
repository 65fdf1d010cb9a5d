"""Sales channels that post their orders to Ordo's webhook route (`POST /v1/channels/.../orders`):
one module per storefront, each translating the channel's own order payload (`shopify`,
`woocommerce`).

`build_channels` turns the configured entries (ORDO_CHANNEL_CONNECTORS) into connectors, each
checked against its own settings model. Shopify and WooCommerce are built in, and a plugin
package adds a channel through the `ordo.connectors` entry point (`connectors.base`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from connectors.base import ConnectorRegistry, SalesChannel, describe_config_error
from connectors.channels.base import WebhookChannel
from connectors.channels.shopify import ShopifyChannel
from connectors.channels.woocommerce import WooCommerceChannel


class ChannelSettingsError(ValueError):
    """An entry that builds no connector; the message names the entry and the field
    (`shopify-us.secret: is required`) and never a value, which may be the secret."""


def build_channels(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, WebhookChannel]:
    """One connector per entry (name -> its settings, `connector` naming its kind)."""
    if not entries:
        return {}
    registry = ConnectorRegistry()
    registry.register(ShopifyChannel)
    registry.register(WooCommerceChannel)
    registry.load_entry_points()
    built: dict[str, WebhookChannel] = {}
    for name, entry in entries.items():
        kind = entry.get("connector")
        options = {key: value for key, value in entry.items() if key != "connector"}
        try:
            connector = registry.build(SalesChannel.kind, str(kind), options)
        except LookupError as error:
            raise ChannelSettingsError(f"{name}.connector: {error}") from None
        except ValidationError as error:
            at, message = describe_config_error(error, "docs/channels.md")
            raise ChannelSettingsError(f"{name}.{at}: {message}") from None
        if not isinstance(connector, WebhookChannel):
            raise ChannelSettingsError(
                f"{name}.connector: '{kind}' does not take orders by webhook"
            )
        built[name] = connector
    return built
