"""A record added under a key that is already stored is refused as `AlreadyExists`, naming
the entity and the key, on every backend; a clash on anything else (another unique column)
is a `Conflict` of another kind. Only the first tells a create-or-replace that someone else
created the record meanwhile (engine/service_layer/catalog.py)."""

from __future__ import annotations

import pytest

from engine.domain.errors import AlreadyExists, Conflict
from tests.integration.persistence.conftest import UowFactory
from tests.support.builders import a_customer, a_ruleset_version, an_order


def test_a_customer_added_under_a_stored_id_is_refused_as_already_existing(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.customers.add(a_customer(id="C-1"))
        uow.commit()

    with pytest.raises(AlreadyExists) as refused, uow_factory() as uow:
        uow.customers.add(a_customer(id="C-1", tier="silver"))  # not read first: not known
        uow.commit()

    assert (refused.value.entity, refused.value.keys) == ("customer", ("C-1",))
    assert refused.value.code == "conflict"  # what the API answered before: 409 conflict
    assert "customer" in refused.value.message and "C-1" in refused.value.message
    assert "already exists" in refused.value.message


def test_an_order_clashing_only_on_its_channel_order_id_is_not_already_existing(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.orders.add(an_order(id="O-1", channel_order_id="W-1"))
        uow.commit()

    with pytest.raises(Conflict) as refused, uow_factory() as uow:
        uow.orders.add(an_order(id="O-2", channel_order_id="W-1"))
        uow.commit()

    assert not isinstance(refused.value, AlreadyExists)
    assert refused.value.message == "order W-1 from channel web already exists"


def test_a_ruleset_version_clashing_only_on_its_name_and_number_is_not_already_existing(
    sql_uow_factory: UowFactory,
) -> None:
    with sql_uow_factory() as uow:
        uow.rulesets.add(a_ruleset_version(id="RS-1"))
        uow.commit()

    with pytest.raises(Conflict) as refused, sql_uow_factory() as uow:
        uow.rulesets.add(a_ruleset_version(id="RS-2"))  # another id, the same name and version
        uow.commit()

    assert not isinstance(refused.value, AlreadyExists)
    assert "cannot save ruleset version RS-2" in refused.value.message
