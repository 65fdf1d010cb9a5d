"""Shipments (and returns) found by a tracking number, on the in-memory fake and on each
database: a shipment's own number or any of its labelled parcels' finds it, exactly as
issued and whatever spaces surround it; labelling its parcels later makes their numbers
findable, packing it again after a short pick makes the old ones find nothing; "" finds no
shipment; the other filters (a warehouse's locations) still apply."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.domain.fulfilment import FulfillmentOrder, Parcel, ReturnStatus, ShipmentStatus
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b


def parcel(number: str = "", box: str = "SHOEBOX") -> Parcel:
    return Parcel(box, 30.0, 20.0, 10.0, 1.7, 1.7, {"SKU-1": 1}, number)


def labelled(shipment_id: str, location: str, *numbers: str) -> FulfillmentOrder:
    """A shipped shipment of one parcel per number, the first the shipment's own."""
    return b.a_shipment(
        id=shipment_id,
        location_code=location,
        tracking_number=numbers[0],
        parcels=[parcel(number) for number in numbers],
    )


@pytest.fixture
def stored(uow_factory: UowFactory) -> UowFactory:
    """F-1 at DAL-01 in three labelled parcels, F-2 at RNO-02 in one, F-3 unlabelled."""
    with uow_factory() as uow:
        uow.shipments.add(labelled("F-1", "DAL-01", "PCL0001", "PCL0002", "PCL0003"))
        uow.shipments.add(labelled("F-2", "RNO-02", "XYZ0009"))
        uow.shipments.add(
            b.a_shipment(
                id="F-3",
                status=ShipmentStatus.RELEASED,
                tracking_number="",
                label_format="",
                parcels=[parcel(), parcel()],
            )
        )
        uow.commit()
    return uow_factory


def found(
    uows: UowFactory,
    number: str,
    locations: list[str] | None = None,
    status: ShipmentStatus | None = None,
) -> list[str]:
    with uows() as uow:
        shipments = uow.shipments.search(tracking_number=number, locations=locations, status=status)
        return [s.id for s in shipments]


@pytest.mark.parametrize("number", ["PCL0001", "PCL0002", "PCL0003"])
def test_a_shipment_is_found_by_its_own_number_or_any_of_its_parcels(
    stored: UowFactory, number: str
) -> None:
    assert found(stored, number) == ["F-1"]


def test_the_spaces_around_a_number_are_ignored_and_its_case_is_not(stored: UowFactory) -> None:
    assert found(stored, "  PCL0002\n") == ["F-1"]
    assert found(stored, "pcl0002") == [], "numbers are matched as their carrier issued them"
    assert found(stored, "PCL000") == [], "a part of a number is no number"


def test_no_number_finds_no_shipment_even_those_not_labelled_yet(stored: UowFactory) -> None:
    assert found(stored, "") == []
    assert found(stored, "   ") == []


def test_the_other_filters_still_apply_to_a_number(stored: UowFactory) -> None:
    assert found(stored, "PCL0002", locations=["RNO-02"]) == []
    assert found(stored, "PCL0002", locations=["DAL-01", "RNO-02"]) == ["F-1"]
    assert found(stored, "XYZ0009", status=ShipmentStatus.PICKED) == []


def test_parcels_labelled_later_are_found_by_their_new_numbers(stored: UowFactory) -> None:
    with stored() as uow:
        shipment = uow.shipments.get_for_update("F-3")
        assert shipment is not None
        shipment.tracking_number = "PCL0031"
        shipment.parcels = [
            replace(p, tracking_number=n)
            for p, n in zip(shipment.parcels, ["PCL0031", "PCL0032"], strict=True)
        ]
        uow.commit()
    assert found(stored, "PCL0032") == ["F-3"]
    assert found(stored, "PCL0031") == ["F-3"]


def test_packing_again_after_a_short_pick_drops_the_old_parcels_numbers(
    stored: UowFactory,
) -> None:
    with stored() as uow:
        shipment = uow.shipments.get_for_update("F-1")
        assert shipment is not None
        shipment.pack_again([parcel(box="LARGE")])
        uow.commit()
    assert found(stored, "PCL0002") == []
    assert found(stored, "PCL0003") == []
    assert found(stored, "PCL0001") == ["F-1"], "the shipment keeps its own number"


def test_a_parcel_number_changed_in_the_transaction_that_searches_is_found(
    stored: UowFactory,
) -> None:
    with stored() as uow:
        shipment = uow.shipments.get_for_update("F-2")
        assert shipment is not None
        shipment.parcels = [parcel("XYZ0010")]
        assert [s.id for s in uow.shipments.search(tracking_number="XYZ0010")] == ["F-2"]
        assert [s.id for s in uow.shipments.search(tracking_number="XYZ0009")] == ["F-2"]


def test_a_return_is_found_by_its_label_s_tracking_number(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.returns.add(b.a_return(id="RT-1", tracking_number="PCL0777"))
        uow.returns.add(b.a_return(id="RT-2", rma="", status=ReturnStatus.REQUESTED))
        uow.commit()
    with uow_factory() as uow:
        assert [r.id for r in uow.returns.search(tracking_number=" PCL0777 ")] == ["RT-1"]
        assert uow.returns.search(tracking_number="pcl0777") == []
        assert uow.returns.search(tracking_number="") == []
