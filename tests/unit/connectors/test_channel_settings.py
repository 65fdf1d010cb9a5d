"""ORDO_CHANNEL_CONNECTORS: read as JSON or from a YAML settings file, each entry checked by its
connector when Ordo starts, every mistake one line naming the entry and the field, and the
secrets it holds never shown."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors.channels.shopify import ShopifyChannel
from ordo.bootstrap import build_app_container, build_channels
from ordo.cli import app
from ordo.settings import SettingsError, load_settings, shown_value

SECRET = "shpss-nobody-may-see-this"
SHOPIFY = {"connector": "shopify", "channel": "shopify-us", "secret": SECRET}


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


def connectors(**entries: dict[str, Any]) -> str:
    return json.dumps(entries)


def refusal(value: Any) -> str:
    with pytest.raises(SettingsError) as raised:
        build_channels(load_settings(channel_connectors=value))
    message = str(raised.value)
    assert "\n" not in message and SECRET not in message
    return message


def test_no_channel_connector_is_configured_by_default() -> None:
    settings = load_settings()
    assert settings.channel_connectors == {}
    assert build_channels(settings) == {}
    assert shown_value(settings, "channel_connectors") == "(none)"


def test_connectors_are_read_as_json_from_the_environment_and_built_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_CHANNEL_CONNECTORS", connectors(**{"shopify-us": SHOPIFY}))
    built = build_channels(load_settings())
    assert list(built) == ["shopify-us"]
    assert isinstance(built["shopify-us"], ShopifyChannel)
    assert built["shopify-us"].channel == "shopify-us"


def test_connectors_are_read_as_a_mapping_from_a_yaml_settings_file(tmp_path: Path) -> None:
    file = tmp_path / "ordo.yaml"
    file.write_text(
        "channel_connectors:\n"
        "  shopify-eu:\n"
        "    connector: shopify\n"
        "    channel: shopify-eu\n"
        f"    secret: {SECRET}\n"
        "    service_levels: {DHL Express: next_day}\n"
    )
    built = build_channels(load_settings(file))
    assert built["shopify-eu"].channel == "shopify-eu"
    assert built["shopify-eu"].config.service_levels == {"dhl express": "next_day"}


def test_the_settings_show_which_connectors_and_channels_but_never_a_secret() -> None:
    settings = load_settings(channel_connectors=connectors(**{"shopify-us": SHOPIFY}))
    assert shown_value(settings, "channel_connectors") == "shopify-us (shopify, channel shopify-us)"
    result = CliRunner().invoke(
        app, ["settings"], env={"ORDO_CHANNEL_CONNECTORS": connectors(**{"shopify-us": SHOPIFY})}
    )
    assert result.exit_code == 0 and SECRET not in result.output
    assert "shopify-us (shopify, channel shopify-us)" in result.output


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            '{"shopify-us": {"connector": "shopify", "secret": "' + SECRET + '"',
            "ORDO_CHANNEL_CONNECTORS: is not valid JSON (line 1, column",
        ),
        ('["shopify"]', "ORDO_CHANNEL_CONNECTORS: must be an object of connector name"),
        (connectors(**{"Shopify US": SHOPIFY}), "connector name 'Shopify US' must be 1 to 40"),
        (connectors(**{"shopify-us": {"channel": "x"}}), "shopify-us.connector: is required"),
        (
            connectors(**{"shopify-us": {**SHOPIFY, "connector": "shopfy"}}),
            "ORDO_CHANNEL_CONNECTORS: shopify-us.connector: no sales_channel connector "
            "'shopfy' (known: shopify, woocommerce)",
        ),
        (
            connectors(**{"shopify-us": {"connector": "shopify", "channel": "shopify-us"}}),
            "ORDO_CHANNEL_CONNECTORS: shopify-us.secret: is required",
        ),
        (
            connectors(**{"shopify-us": {**SHOPIFY, "secert": SECRET}}),
            "ORDO_CHANNEL_CONNECTORS: shopify-us.secert: is not a setting of this connector",
        ),
        (
            connectors(**{"shopify-us": {**SHOPIFY, "channel": "shopify us"}}),
            "ORDO_CHANNEL_CONNECTORS: shopify-us.channel: must be 1 to 64 characters",
        ),
        (
            connectors(**{"shopify-us": {**SHOPIFY, "missing_sku": "skip"}}),
            "ORDO_CHANNEL_CONNECTORS: shopify-us.missing_sku: Input should be 'refuse' or "
            "'variant_id'",
        ),
        (
            connectors(**{"shopify-us": {**SHOPIFY, "service_levels": {"Express": "2-day"}}}),
            "shopify-us.service_levels: 'Express' maps to '2-day', which is not a service level",
        ),
    ],
)
def test_a_bad_entry_is_one_line_naming_the_entry_and_the_field_never_the_secret(
    value: str, expected: str
) -> None:
    assert expected in refusal(value)


def test_a_bad_entry_stops_ordo_serve_at_start_with_that_line(tmp_path: Path) -> None:
    bad = connectors(**{"shopify-us": {**SHOPIFY, "secert": SECRET}})
    with pytest.raises(SettingsError, match=r"shopify-us\.secert"):
        build_app_container(load_settings(channel_connectors=bad, data_dir=tmp_path))
    result = CliRunner().invoke(
        app, ["serve"], env={"ORDO_CHANNEL_CONNECTORS": bad, "ORDO_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: ORDO_CHANNEL_CONNECTORS: shopify-us.secert: ")
    assert len(result.output.splitlines()) == 1 and SECRET not in result.output
