"""The `order` facts rules see: amounts and total agree with the domain's own arithmetic."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

from engine.domain.orders import Order, OrderLine
from engine.domain.values import Address
from engine.rules.facts import order_facts


def test_the_total_is_the_orders_own_total_and_each_amount_its_lines() -> None:
    # The facts work each line's amount out once and total them there, rather than asking
    # `Order.total` to work them out again: the two must never drift apart.
    rng = random.Random(7)
    for n in range(300):
        lines = [
            OrderLine(
                str(k),
                f"SKU-{k}",
                rng.randint(1, 40),
                Decimal(f"{rng.randint(0, 99_999)}.{rng.randint(0, 999):03d}"),
            )
            for k in range(rng.randint(1, 6))
        ]
        order = Order(
            f"O-{n}", "web", f"W-{n}", "C-1", Address("10001"), lines, datetime(2026, 1, 1)
        )
        facts = order_facts(order, {})
        assert facts["total"] == float(order.total)
        assert [line["amount"] for line in facts["lines"]] == [float(li.amount) for li in lines]
