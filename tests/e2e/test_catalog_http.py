"""Products, locations and customers over HTTP: admins write, staff read, the audit log records."""

from __future__ import annotations

from tests.e2e.conftest import Api

LOCATION = {
    "name": "Dallas DC",
    "type": "warehouse",
    "address": {"postal_code": "75201", "city": "Dallas", "state": "TX"},
    "daily_capacity": 500,
}


def test_an_admin_creates_a_product_that_support_can_then_read(api: Api) -> None:
    created = api.put(
        "/v1/products/SHOE-42", json={"name": "Shoe", "price": "59.90", "hazmat": False}
    )
    assert created.status_code == 200
    read = api.get("/v1/products/SHOE-42", role="support")
    assert read.json()["price"] == "59.90"
    listed = api.get("/v1/products", role="warehouse")
    assert [p["sku"] for p in listed.json()] == ["SHOE-42"]


def test_putting_a_product_again_replaces_it_and_audits_before_and_after(api: Api) -> None:
    api.put("/v1/products/SHOE-42", json={"name": "Shoe", "price": "59.90"})
    api.put("/v1/products/SHOE-42", json={"name": "Trail shoe", "price": "64.00"})
    assert api.get("/v1/products/SHOE-42").json()["name"] == "Trail shoe"
    entries = api.get("/v1/audit?entity=product&entity_id=SHOE-42").json()
    assert len(entries) == 2
    replaced = [e for e in entries if e["before"]]
    assert replaced[0]["before"]["name"] == "Shoe" and replaced[0]["after"]["name"] == "Trail shoe"


def test_a_location_round_trips_with_its_address(api: Api) -> None:
    assert api.put("/v1/locations/DAL-01", json=LOCATION).status_code == 200
    body = api.get("/v1/locations/DAL-01", role="analyst").json()
    assert body["address"]["postal_code"] == "75201"
    assert body["daily_capacity"] == 500


def test_a_store_is_given_its_services_as_text_and_keeps_them(api: Api) -> None:
    store = {**LOCATION, "type": "store", "services": ["ship_from_store", "pickup"]}
    assert api.put("/v1/locations/NYC-05", json=store).status_code == 200
    body = api.get("/v1/locations/NYC-05", role="analyst").json()
    assert sorted(body["services"]) == ["pickup", "ship_from_store"]
    unknown = api.put("/v1/locations/NYC-05", json={**store, "services": ["teleport"]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["path"] == "$.services[0]"


def test_a_location_or_customer_address_with_a_lower_case_country_is_refused_at_its_path(
    api: Api,
) -> None:
    site = {**LOCATION, "address": {"postal_code": "75201", "country": "us"}}
    refused = api.put("/v1/locations/DAL-01", json=site)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["path"] == "$.address.country"
    assert error["message"].startswith("must be a two-letter ISO 3166-1 country code in capitals")
    customer = {
        "email": "ada@example.com",
        "default_address": {"postal_code": "10001", "country": "gb"},
    }
    assert api.put("/v1/customers/C-1", json=customer).status_code == 422
    assert api.get("/v1/locations/DAL-01").status_code == 404


def test_customers_are_read_by_support_but_not_by_analysts(api: Api) -> None:
    api.put("/v1/customers/C-1", json={"email": "ada@example.com", "name": "Ada"})
    assert api.get("/v1/customers/C-1", role="support").json()["email"] == "ada@example.com"
    assert api.get("/v1/customers/C-1", role="analyst").status_code == 403


def test_a_channel_key_cannot_write_the_catalogue(api: Api) -> None:
    response = api.put("/v1/products/X-1", role="channel", json={"name": "x"})
    assert response.status_code == 403
    assert api.get("/v1/products/X-1").status_code == 404
