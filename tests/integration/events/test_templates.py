"""Every shipped message template renders with the context the notifiers build."""

from __future__ import annotations

import pytest

from connectors.notifications.templates import CUSTOMER_KINDS, TemplateRenderer

ORDER = {"id": "O-1", "number": "W-1 & <b>", "customer_name": "Ada", "currency": "USD",
         "total": "25.00", "ship_to": "1 Elm St, Dallas, 75201", "promised_date": "2026-03-06",
         "lines": [{"sku": "SKU-1", "quantity": 2, "amount": "20.00"}], "channel": "web",
         "email": "ada@example.com"}  # fmt: skip
SHIPMENT = {"id": "F-1", "carrier": "swift", "service": "ground", "tracking_number": "SW1",
            "promised_date": "2026-03-06", "location_code": "DAL-01",
            "lines": [{"sku": "SKU-1", "quantity": 2}]}  # fmt: skip
RET = {"id": "RT-1", "rma": "RMA-7", "location_code": "DAL-01", "refund_amount": "12.50",
       "lines": [{"sku": "SKU-1", "quantity": 1}]}  # fmt: skip
# What the carrier said of a failed delivery, as `shipment.delivery_exception` carries it.
EVENT = {"milestone": "attempted", "code": "02", "description": "Nobody home & <i>",
         "at": "2026-03-06T10:00:00+00:00", "location": "Dallas"}  # fmt: skip
ALERT = {
    "id": "alr_1",
    "rule": "ops/late",
    "severity": "high",
    "key": "swift",
    "message": "6 late",
    "status": "open",
    "occurrences": 1,
    "created_at": "2026-03-06",
}


def test_the_renderer_knows_every_customer_message_and_the_alert() -> None:
    assert TemplateRenderer().kinds() == sorted([*CUSTOMER_KINDS, "alert"])


@pytest.mark.parametrize("kind", [*CUSTOMER_KINDS, "alert"])
def test_each_template_renders_subject_text_and_escaped_html(kind: str) -> None:
    context = {"order": ORDER, "shipment": SHIPMENT, "ret": RET, "alert": ALERT, "event": EVENT}
    subject, text, html = TemplateRenderer().render(kind, context)
    assert subject and "\n" not in subject
    assert "<i>" not in html  # the carrier's words are escaped too
    assert text.strip()
    assert html.startswith("<!doctype html>")
    if kind != "alert":
        assert "W-1 & <b>" in subject and "W-1 & <b>" in text  # plain text stays plain
        assert "W-1 &amp; &lt;b&gt;" in html and "<b>" not in html  # HTML is escaped


def test_a_pickup_is_confirmed_with_the_store_to_collect_it_at_not_an_address() -> None:
    pickup = {**ORDER, "pickup_location": "NYC-5"}
    _, text, html = TemplateRenderer().render("order_confirmed", {"order": pickup})
    assert "To collect at: NYC-5" in text and "To collect at: NYC-5" in html
    assert "Shipping to" not in text and "when it ships" not in text
    _, shipped, _ = TemplateRenderer().render("order_confirmed", {"order": ORDER})
    assert "Shipping to: 1 Elm St, Dallas, 75201" in shipped
