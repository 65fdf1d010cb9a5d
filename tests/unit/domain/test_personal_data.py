"""Erasing a customer's personal data from the entities: what goes, and what must stay for
the figures (sales, fulfilment, simulation) to stay true."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from api.schemas.patterns import EMAIL
from engine.domain.catalog import erased_email
from engine.domain.errors import Conflict
from engine.domain.orders import OrderStatus
from tests.support.builders import a_customer, an_order


def test_an_erased_customer_loses_email_name_and_address_and_keeps_tier_and_group() -> None:
    customer = a_customer()

    assert customer.erase_personal_data() is True

    assert (customer.email, customer.name, customer.default_address) == (
        erased_email("C-1"),
        "",
        None,
    )
    assert (customer.id, customer.tier, customer.group) == ("C-1", "gold", "b2b")


def test_erasing_a_customer_again_changes_nothing() -> None:
    customer = a_customer()
    customer.erase_personal_data()

    assert customer.erase_personal_data() is False
    assert customer.email == erased_email("C-1")


def test_the_erased_email_is_one_per_customer_a_valid_address_and_never_deliverable() -> None:
    email = erased_email("C-1")

    assert email == erased_email("C-1") != erased_email("C-2")
    assert re.fullmatch(r"erased-[0-9a-f]{12}@erased\.invalid", email)
    assert re.fullmatch(EMAIL, email)
    assert "C-1" not in email


def test_an_erased_order_forgets_who_and_where_but_keeps_what_the_figures_need() -> None:
    order = an_order(status=OrderStatus.DELIVERED)
    before = replace(order, lines=[replace(line) for line in order.lines], holds=[])

    assert order.erase_personal_data() is True

    assert order.email == erased_email("C-1")
    address = order.ship_to
    assert (address.name, address.line1, address.city, address.state) == ("", "", "", "")
    assert (address.postal_code, address.country, address.lat, address.lon) == (
        "75201",
        "US",
        32.7876,
        -96.7994,
    )
    assert order.lines == before.lines
    assert order.total == before.total
    assert (order.status, order.created_at, order.requested_date, order.promised_date) == (
        before.status,
        before.created_at,
        before.requested_date,
        before.promised_date,
    )
    assert (order.channel, order.channel_order_id, order.customer_id, order.currency) == (
        "web",
        "W-1001",
        "C-1",
        "USD",
    )


def test_an_order_sent_without_an_email_is_not_given_one() -> None:
    order = an_order(status=OrderStatus.CANCELLED, email="")

    order.erase_personal_data()

    assert order.email == ""


def test_the_customer_s_details_leave_the_hold_messages_and_nothing_else_of_them() -> None:
    order = an_order(status=OrderStatus.REJECTED)
    order.holds[0].message = "Ada Lovelace at 1 Elm St looks like a reseller"

    order.erase_personal_data(
        lambda text: text.replace("Ada Lovelace", "[erased]").replace("1 Elm St", "[erased]")
    )

    hold = order.holds[0]
    assert hold.message == "[erased] at [erased] looks like a reseller"
    assert (hold.code, hold.released_by) == ("fraud", "sam")


def test_erasing_an_order_again_changes_nothing() -> None:
    order = an_order(status=OrderStatus.DELIVERED)
    order.erase_personal_data()

    assert order.erase_personal_data() is False


@pytest.mark.parametrize("status", [OrderStatus.RELEASED, OrderStatus.SHIPPED, OrderStatus.HELD])
def test_an_order_not_finished_keeps_its_address_for_the_warehouse(status: OrderStatus) -> None:
    order = an_order(status=status)

    with pytest.raises(Conflict, match=f"order O-1 is '{status}', not finished"):
        order.erase_personal_data()

    assert (order.email, order.ship_to.line1) == ("Ada@Example.com", "1 Elm St")
