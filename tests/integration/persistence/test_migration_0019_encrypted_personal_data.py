"""The migration that makes room for encrypted emails: on PostgreSQL, `orders.email` and
`customers.email` become text, which holds a token of the longest email the API takes, and
orders placed before keep their email; SQLite, which never enforced the length, is left as it
was. The downgrade gives PostgreSQL its VARCHAR(320) back."""

from __future__ import annotations

import base64

from sqlalchemy import Engine, inspect, text

from engine.adapters.field_crypto import FieldCipher, parse_data_keys
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from tests.support import builders as b
from tests.support.migration_steps import MigrationSteps

MIGRATION = "encrypted_personal_data"
CIPHER = FieldCipher(parse_data_keys(f"k1:{base64.b64encode(b'k' * 32).decode()}"))
# The longest email the API accepts: 64 characters before the @, 254 in all, non-ASCII.
LONGEST = "é" * 64 + "@" + "a" * 185 + ".com"


def email_types(engine: Engine) -> list[str]:
    found = []
    for table in ("orders", "customers"):
        [email] = [c for c in inspect(engine).get_columns(table) if c["name"] == "email"]
        found.append(str(email["type"]))
    return found


def test_an_encrypted_email_of_the_longest_kind_is_stored_after_upgrading(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO customers (id, email, name, tier, group_name) "
                    "VALUES ('C-0', 'old@example.com', 'Old', 'gold', 'vip')"
                )
            )
        kept_type = email_types(engine)

    migration.upgrade()

    with migration.engine() as engine:
        sqlite = engine.dialect.name == "sqlite"
        assert email_types(engine) == (kept_type if sqlite else ["TEXT", "TEXT"])
        sessions = make_session_factory(engine, CIPHER)
        order = b.an_order(email=LONGEST)
        with SqlAlchemyUnitOfWork(sessions) as uow:
            uow.orders.add(order)
            uow.customers.add(b.a_customer(email=LONGEST))
            uow.commit()
        with SqlAlchemyUnitOfWork(sessions) as uow:
            assert uow.orders.get("O-1") == order
            customer, old = uow.customers.get("C-1"), uow.customers.get("C-0")
            assert customer is not None and customer.email == LONGEST
            assert old is not None and old.email == "old@example.com"


def test_the_downgrade_gives_postgresql_its_bounded_emails_back(postgres_url: str) -> None:
    migration = MigrationSteps.named(postgres_url, MIGRATION)
    migration.downgrade()

    with migration.engine() as engine:
        assert email_types(engine) == ["VARCHAR(320)", "VARCHAR(320)"]
