"""A fresh Ordo gets one admin API key: configured, or issued once and printed once."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from typer.testing import CliRunner

from engine.adapters.orm_api import SqlApiKeyStore
from engine.domain.access import Role
from engine.domain.catalog import Customer, Location
from engine.domain.orders import Order
from engine.service_layer.auth import Authenticator, Unauthenticated
from ordo.bootstrap import build_app_container
from ordo.cli import app
from ordo.settings import load_settings
from tests.support.builders import a_customer, a_location, an_order

runner = CliRunner()
KEY = re.compile(r"ordo_[0-9a-f]+_[A-Za-z0-9_\-]+")
CONFIGURED = "ordo_c0ffee42_" + "s3cret-value-for-tests-only-0123456789"


def authenticate(database_url: str, credential: str) -> Role:
    settings = load_settings(database_url=database_url)
    with build_app_container(settings) as container:
        keys = SqlApiKeyStore(container.session_factory)
        secret = settings.secret_key.get_secret_value()
        return Authenticator(keys, secret, cache_seconds=0).authenticate(credential).role


def admin_keys(database_url: str) -> int:
    with build_app_container(load_settings(database_url=database_url)) as container:
        keys = SqlApiKeyStore(container.session_factory).list()
    return sum(1 for key in keys if key.role is Role.ADMIN)


def test_the_demo_issues_a_working_admin_key_once(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    first = runner.invoke(app, ["demo"])
    printed = KEY.findall(first.output)
    assert printed, first.output
    assert authenticate(sqlite_url, printed[0]) is Role.ADMIN
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0
    assert not KEY.findall(second.output)
    assert admin_keys(sqlite_url) == 1


def test_a_configured_admin_key_is_registered_and_never_printed(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ORDO_BOOTSTRAP_ADMIN_KEY", CONFIGURED)
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0
    assert CONFIGURED not in result.output
    assert authenticate(sqlite_url, CONFIGURED) is Role.ADMIN
    assert admin_keys(sqlite_url) == 1


def test_a_configured_key_whose_id_exists_with_another_secret_is_refused(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ORDO_BOOTSTRAP_ADMIN_KEY", CONFIGURED)
    assert runner.invoke(app, ["demo"]).exit_code == 0
    monkeypatch.setenv("ORDO_BOOTSTRAP_ADMIN_KEY", CONFIGURED + "-changed")
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 1
    assert result.output.strip().startswith(
        "error: ORDO_BOOTSTRAP_ADMIN_KEY: key id c0ffee42 is already registered"
    )


def test_keys_created_on_the_command_line_work_until_revoked(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    created = runner.invoke(app, ["keys", "create", "Web shop", "--role", "channel",
                                  "--channel", "web"])  # fmt: skip
    assert created.exit_code == 0, created.output
    plaintext = KEY.findall(created.output)[0]
    assert authenticate(sqlite_url, plaintext) is Role.CHANNEL
    key_id = plaintext.split("_")[1]
    listed = runner.invoke(app, ["keys", "list"])
    assert key_id in listed.output and "web" in listed.output
    assert plaintext.split("_", 2)[2] not in listed.output
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    with pytest.raises(Unauthenticated):
        authenticate(sqlite_url, plaintext)
    again = runner.invoke(app, ["keys", "revoke", key_id])
    assert again.exit_code == 0
    assert f"API key {key_id} (Web shop) was already revoked on 20" in again.output


def test_an_unknown_role_is_one_line_listing_the_roles(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    result = runner.invoke(app, ["keys", "create", "x", "--role", "boss"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "error: --role: must be one of admin, analyst, support, warehouse, channel, customer, "
        "got 'boss'"
    )


def test_a_key_without_the_scope_its_role_needs_names_the_flag(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    said = {
        role: runner.invoke(app, ["keys", "create", "x", "--role", role]).output.strip()
        for role in ("channel", "warehouse", "customer")
    }
    assert said == {
        "channel": "error: --channel: a channel key needs the channel it ingests for",
        "warehouse": "error: --location: a warehouse key needs at least one location",
        "customer": "error: --customer: a customer key needs the customer it is for",
    }
    analyst = ["keys", "create", "x", "--role", "analyst", "--location", "NOPE"]
    assert runner.invoke(app, analyst).output.strip() == (
        "error: --location: only warehouse keys are limited by it; analyst keys are not"
    )
    blank = runner.invoke(app, ["keys", "create", "  ", "--role", "admin"])
    assert blank.exit_code == 1
    assert "name must not be blank" in blank.output


def seed(
    database_url: str,
    locations: Sequence[Location] = (),
    customers: Sequence[Customer] = (),
    orders: Sequence[Order] = (),
) -> None:
    with build_app_container(load_settings(database_url=database_url)) as container:
        uow = container.uow_factory()
        with uow:
            for location in locations:
                uow.locations.add(location)
            for customer in customers:
                uow.customers.add(customer)
            for order in orders:
                uow.orders.add(order)
            uow.commit()


def create(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["keys", "create", "x", *args])
    return result.exit_code, result.output.strip()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--role", "warehouse", "--location", ""],
            "error: --location: is blank; give each location's code",
        ),
        (
            ["--role", "customer", "--customer", "   "],
            "error: --customer: is blank; a customer key needs the customer it is for",
        ),
        (
            ["--role", "channel", "--channel", " "],
            "error: --channel: is blank; a channel key needs the channel it ingests for",
        ),
        (
            ["--role", "warehouse", "--location", "DAL-01", "--location", "NOPE"],
            "error: --location: no location 'NOPE' in the database (add it first with "
            "PUT /v1/locations/NOPE)",
        ),
        (
            ["--role", "warehouse", "--location", "DAL-1"],
            "error: --location: no location 'DAL-1' in the database (did you mean 'DAL-01'? "
            "add it first with PUT /v1/locations/DAL-1)",
        ),
        (
            ["--role", "customer", "--customer", "C-404"],
            "error: --customer: no customer 'C-404' in the database and no order of theirs "
            "(add the customer first with PUT /v1/customers/C-404)",
        ),
    ],
)
def test_a_key_that_would_work_nowhere_is_refused_naming_the_flag(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, args: list[str], said: str
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    seed(sqlite_url, [a_location(code="DAL-01")])
    assert create(*args) == (1, said)
    with build_app_container(load_settings(database_url=sqlite_url)) as container:
        assert SqlApiKeyStore(container.session_factory).list() == []


def test_keys_for_a_known_location_or_customer_or_one_with_orders_are_issued(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    seed(
        sqlite_url,
        [a_location(code="DAL-01")],
        [a_customer(id="C-1")],
        [an_order(customer_id="GUEST-7")],
    )
    for args in (
        ["--role", "warehouse", "--location", "DAL-01"],
        ["--role", "customer", "--customer", "C-1"],
        ["--role", "customer", "--customer", "GUEST-7"],
        ["--role", "channel", "--channel", "any-channel"],
    ):
        code, output = create(*args)
        assert code == 0 and KEY.findall(output), output
