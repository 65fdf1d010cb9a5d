"""ORDO_CARRIER_APIS: carriers reached over an API (EasyPost), each entry checked when Ordo
starts and named in every refusal without its key; the configured codes get the API
connector and every other code keeps its rate card's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.carriers.easypost import EasyPostCarrier
from connectors.carriers.ratecard import RateCardCarrier
from engine.pipeline.carriers import load_catalog
from ordo.bootstrap import build_carriers
from ordo.settings import SettingsError, load_settings, shown_value

KEY = "EZAK-key-nobody-may-see"
LONG = "a-webhook-secret-long-enough"


def entry(**changes: Any) -> dict[str, Any]:
    settings = {"provider": "easypost", "api_key": KEY, "carrier": "UPS",
                "services": {"GROUND": "Ground"}}  # fmt: skip
    return {key: value for key, value in {**settings, **changes}.items() if value is not None}


def carriers_of(apis: dict[str, Any], **settings: Any) -> Any:
    return build_carriers(load_settings(carrier_apis=json.dumps(apis), **settings), load_catalog())


def refusal(apis: Any, **settings: Any) -> str:
    text = apis if isinstance(apis, str) else json.dumps(apis)
    with pytest.raises(SettingsError) as refused:
        build_carriers(load_settings(carrier_apis=text, **settings), load_catalog())
    assert KEY not in str(refused.value)
    return str(refused.value)


def test_a_configured_code_gets_the_api_connector_and_the_others_keep_their_rate_card() -> None:
    carriers = carriers_of({"PCL": entry(webhook_secret=LONG)})

    easypost = carriers("PCL")
    assert isinstance(easypost, EasyPostCarrier)
    assert (easypost.config.code, easypost.config.carrier) == ("PCL", "UPS")
    assert isinstance(carriers("SWX"), RateCardCarrier)
    assert carriers("NOPE") is None


def test_without_the_setting_every_code_keeps_its_rate_card() -> None:
    carriers = build_carriers(load_settings(), load_catalog())
    assert isinstance(carriers("PCL"), RateCardCarrier)


def test_the_setting_is_shown_as_codes_and_providers_never_keys() -> None:
    settings = load_settings(carrier_apis=json.dumps({"PCL": entry()}))
    assert shown_value(settings, "carrier_apis") == "PCL (easypost)"


def test_an_unknown_provider_is_refused_naming_the_entry() -> None:
    assert refusal({"PCL": entry(provider="shipwire")}) == (
        "ORDO_CARRIER_APIS: PCL.provider: no carrier connector 'shipwire' (known: easypost)"
    )


def test_an_entry_without_a_provider_is_refused_when_the_settings_are_read() -> None:
    with pytest.raises(SettingsError, match=r"ORDO_CARRIER_APIS: PCL\.provider: is required"):
        load_settings(carrier_apis=json.dumps({"PCL": entry(provider=None)}))


def test_an_entry_without_its_api_key_is_refused_naming_the_field() -> None:
    assert refusal({"PCL": entry(api_key=None)}) == "ORDO_CARRIER_APIS: PCL.api_key: is required"


def test_a_code_no_rate_card_has_is_refused_as_the_decider_could_never_choose_it() -> None:
    message = refusal({"UPS": entry()})
    assert message.startswith(
        "ORDO_CARRIER_APIS: UPS: no rate card has this carrier code (known: HVF, PCL, RPS, SWX)"
    )


def test_a_setting_the_connector_does_not_have_is_refused_naming_it() -> None:
    message = refusal({"PCL": entry(password="x")})
    assert message.startswith("ORDO_CARRIER_APIS: PCL.password: is not a setting")


def test_a_short_webhook_secret_is_refused_outside_development_and_never_echoed() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(
            carrier_apis=json.dumps({"PCL": entry(webhook_secret="short-one")}),
            environment="production", secret_key=LONG,
        )  # fmt: skip
    assert str(refused.value) == (
        "ORDO_CARRIER_APIS: PCL.webhook_secret: must be at least 16 characters when "
        "environment is production"
    )
    assert "short-one" not in str(refused.value)


def test_json_that_does_not_parse_is_refused_without_quoting_it() -> None:
    with pytest.raises(SettingsError, match="ORDO_CARRIER_APIS: is not valid JSON") as refused:
        load_settings(carrier_apis='{"PCL": {"api_key": "' + KEY + '"')
    assert KEY not in str(refused.value)
