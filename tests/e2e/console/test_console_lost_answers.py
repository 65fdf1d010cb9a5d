"""A console action whose answer is lost is done once, however often the person tries again.

The console reaches the real API through a gateway that passes one request on and then gives
up on it (504), as a proxy whose timeout is shorter than the API's work does: the API did the
work, the person saw an error and clicks the same button again. The console sends the retry
under the first attempt's `Idempotency-Key`, so the API answers with what it did (shown as the
success it was) instead of doing it a second time."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from admin_ui.session import REPLAYED
from tests.e2e.console.conftest import World, console, open_page
from tests.e2e.console.gateway import GAVE_UP, Gateway
from tests.e2e.console.test_console_returns import (
    ask_for,
    opened,
    returns_of,
    shipped_order,
)


def on_hand(world: World, sku: str) -> dict[str, int]:
    with world.http() as http:
        return {
            r["location_code"]: r["on_hand"] for r in http.get(f"/v1/inventory/skus/{sku}").json()
        }


def errors(app: AppTest) -> list[str]:
    return [str(e.value) for e in app.error]


def test_a_transfer_tried_again_after_its_answer_was_lost_moves_the_units_once(
    world: World, gateway: Gateway
) -> None:
    before = on_hand(world, "APP-BBC-BLACK")
    source = max(before, key=lambda code: before[code])
    target = next(code for code in before if code != source)
    app = open_page(console(gateway.as_world(), "admin"), "inventory")
    fields = {t.label: t for t in app.text_input}
    fields["SKU to move"].set_value("APP-BBC-BLACK")
    fields["From location"].set_value(source)
    fields["To location"].set_value(target)
    next(n for n in app.number_input if n.label == "Units").set_value(3)
    next(c for c in app.checkbox if c.label == "Yes, move these units").check()
    gateway.losing.add(("POST", "/v1/inventory/transfers"))

    next(b for b in app.button if b.label == "Transfer").click().run()
    assert not app.exception, app.exception
    assert gateway.lost == [("POST", "/v1/inventory/transfers")]
    assert errors(app) == [f"**Transfer**: {GAVE_UP[:1].upper()}{GAVE_UP[1:]}"]
    assert on_hand(world, "APP-BBC-BLACK")[source] == before[source] - 3  # done, answer lost

    next(b for b in app.button if b.label == "Transfer").click().run()
    assert not app.exception, app.exception
    assert not errors(app)
    assert on_hand(world, "APP-BBC-BLACK")[source] == before[source] - 3  # not 6
    assert any(f"Moved 3 × APP-BBC-BLACK out of {source}" in s.value for s in app.success)
    assert REPLAYED in [str(i.value) for i in app.info]


def test_a_return_requested_again_after_its_answer_was_lost_is_opened_once(
    world: World, gateway: Gateway
) -> None:
    order = shipped_order(world, 1)  # 2 units shipped: a second return of 1 would be allowed
    app = opened(gateway.as_world(), "support", order)
    gateway.losing.add(("POST", f"/v1/orders/{order['id']}/returns"))

    ask_for(app, order, 1, "damaged")
    assert errors(app) == [f"**Request a return**: {GAVE_UP[:1].upper()}{GAVE_UP[1:]}"]
    [opened_once] = returns_of(world, order)  # done, answer lost

    # A run after the lost answer shows the units still returnable in a field of its own,
    # empty: the person enters them again, and the same request, whatever field it comes
    # from, goes under the same key.
    app.run()
    ask_for(app, order, 1, "damaged")
    assert not errors(app)
    assert returns_of(world, order) == [opened_once]
    done = f"Return {opened_once['id']} requested for 1 unit of order {order['channel_order_id']}"
    assert any(done in str(s.value) for s in app.success)
    assert REPLAYED in [str(i.value) for i in app.info]
