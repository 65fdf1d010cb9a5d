"""The smaller repository queries answer the same on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import ReservationStatus
from engine.domain.operations import AlertStatus, RulesetStatus
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b


def test_expired_reservations_are_the_active_ones_past_their_time_oldest_first(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.reservations.add(b.a_reservation(id="R-1", created_at=b.at(2), expires_at=b.at(10)))
        uow.reservations.add(b.a_reservation(id="R-2", created_at=b.at(1), expires_at=b.at(10)))
        uow.reservations.add(b.a_reservation(id="R-3", expires_at=b.at(30)))
        uow.reservations.add(b.a_reservation(id="R-4", expires_at=None))
        uow.reservations.add(
            b.a_reservation(id="R-5", expires_at=b.at(5), status=ReservationStatus.CONSUMED)
        )
        uow.commit()

    with uow_factory() as uow:
        assert [r.id for r in uow.reservations.expired(b.at(10))] == ["R-2", "R-1"]
        assert [r.id for r in uow.reservations.expired(b.at(10), limit=1)] == ["R-2"]
        assert [r.id for r in uow.reservations.for_order("O-1")] == [
            "R-2", "R-1", "R-3", "R-4", "R-5",
        ]  # fmt: skip


def test_shipments_are_found_by_order_and_location_and_counted_per_release_day(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.shipments.add(b.a_shipment(id="F-1", status=ShipmentStatus.RELEASED))
        uow.shipments.add(b.a_shipment(id="F-2", status=ShipmentStatus.PENDING))
        uow.shipments.add(b.a_shipment(id="F-3", status=ShipmentStatus.CANCELLED))
        uow.shipments.add(b.a_shipment(id="F-4", order_id="O-2", location_code="RNO-02"))
        uow.shipments.add(b.a_shipment(id="F-5", created_at=b.at(60 * 24)))
        uow.commit()

    with uow_factory() as uow:
        assert [s.id for s in uow.shipments.for_order("O-2")] == ["F-4"]
        assert [s.id for s in uow.shipments.for_location("DAL-01", "pending")] == ["F-2"]
        assert len(uow.shipments.for_location("DAL-01")) == 4
        assert uow.shipments.count_released_on("DAL-01", b.T0.date()) == 1
        assert uow.shipments.count_released_on("DAL-01", date(2026, 3, 3)) == 1
        assert uow.shipments.count_released_on("RNO-02", date(2026, 3, 3)) == 0


def test_the_open_alert_for_a_rule_and_key_ignores_closed_ones(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.alerts.add(b.an_alert(id="A-1", status=AlertStatus.CLOSED))
        uow.alerts.add(b.an_alert(id="A-2", status=AlertStatus.ACKNOWLEDGED))
        uow.alerts.add(b.an_alert(id="A-3", key="carrier=fedex", status=AlertStatus.OPEN))
        uow.commit()

    with uow_factory() as uow:
        found = uow.alerts.open_for("late shipments", "carrier=ups")
        assert found is not None and found.id == "A-2"
        assert uow.alerts.open_for("late shipments", "carrier=dhl") is None


def test_ruleset_versions_come_by_name_in_version_order_and_published_ones_by_status(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.rulesets.add(b.a_ruleset_version(id="RS-2", version=2, status=RulesetStatus.DRAFT))
        uow.rulesets.add(b.a_ruleset_version(id="RS-1", version=1, status=RulesetStatus.RETIRED))
        uow.rulesets.add(b.a_ruleset_version(id="RS-9", name="alerts", version=1))
        uow.rulesets.add(b.a_ruleset_version(id="RS-3", version=3))
        uow.commit()

    with uow_factory() as uow:
        assert [v.id for v in uow.rulesets.versions("routing")] == ["RS-1", "RS-2", "RS-3"]
        assert [v.id for v in uow.rulesets.published()] == ["RS-9", "RS-3"]


def test_traces_returns_and_inbound_supply_are_found_by_their_owner(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.traces.add(b.a_trace(id="T-2", at=b.at(9)))
        uow.traces.add(b.a_trace(id="T-1", at=b.at(1)))
        uow.traces.add(b.a_trace(id="T-3", order_id="O-2"))
        uow.returns.add(b.a_return(id="RT-1"))
        uow.returns.add(b.a_return(id="RT-2", order_id="O-2"))
        uow.inbound.add(b.an_inbound(id="IN-2", expected_on=date(2026, 3, 20)))
        uow.inbound.add(b.an_inbound(id="IN-1", expected_on=date(2026, 3, 10)))
        uow.inbound.add(b.an_inbound(id="IN-3", sku="SKU-2"))
        uow.commit()

    with uow_factory() as uow:
        assert [t.id for t in uow.traces.for_order("O-1")] == ["T-1", "T-2"]
        assert [r.id for r in uow.returns.for_order("O-2")] == ["RT-2"]
        assert [i.id for i in uow.inbound.for_sku("SKU-1")] == ["IN-1", "IN-2"]


def test_transfers_are_found_by_their_tracking_number_exactly_by_arrival(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.inbound.add(b.an_inbound(id="IN-2", expected_on=date(2026, 3, 20)))
        uow.inbound.add(b.an_inbound(id="IN-1", expected_on=date(2026, 3, 10)))
        uow.inbound.add(b.an_inbound(id="IN-3", tracking_number="1Z999AA1012345678"))
        uow.inbound.add(b.an_inbound(id="IN-4", tracking_number=""))
        uow.commit()

    with uow_factory() as uow:
        found = uow.inbound.with_tracking_number("1Z999AA10123456784")
        assert [i.id for i in found] == ["IN-1", "IN-2"]
        assert [i.id for i in uow.inbound.with_tracking_number("1Z999AA10123456784", 1)] == ["IN-1"]
        assert uow.inbound.with_tracking_number("1z999aa10123456784") == []


def test_the_audit_log_lists_newest_first_and_filters_by_entity(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.audit.append(b.an_audit_entry(id="AU-1", at=b.at(1)))
        uow.audit.append(b.an_audit_entry(id="AU-2", at=b.at(2), entity_id="O-2"))
        uow.audit.append(b.an_audit_entry(id="AU-3", at=b.at(3), entity="product"))
        uow.commit()

    with uow_factory() as uow:
        assert [e.id for e in uow.audit.list()] == ["AU-3", "AU-2", "AU-1"]
        assert [e.id for e in uow.audit.list(entity="order")] == ["AU-2", "AU-1"]
        assert [e.id for e in uow.audit.list(entity="order", entity_id="O-2")] == ["AU-2"]
        assert [e.id for e in uow.audit.list(limit=1, offset=1)] == ["AU-2"]


def test_catalogue_lists_are_ordered_by_key(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        for sku in ["SKU-3", "SKU-1", "SKU-2"]:
            uow.products.add(b.a_product(sku=sku))
        for code in ["RNO-02", "DAL-01"]:
            uow.locations.add(b.a_location(code=code))
        uow.commit()

    with uow_factory() as uow:
        assert [p.sku for p in uow.products.list()] == ["SKU-1", "SKU-2", "SKU-3"]
        assert [p.sku for p in uow.products.list(limit=1, offset=1)] == ["SKU-2"]
        assert [loc.code for loc in uow.locations.list()] == ["DAL-01", "RNO-02"]
