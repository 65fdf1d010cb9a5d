"""The OpenAPI document is enough to onboard a channel, and documents every route."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api


def _schema(doc: dict[str, Any], ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    ref = ref_or_schema.get("$ref")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def _example(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """A request body built only from the document: the model's example, else its fields'."""
    schema = doc["components"]["schemas"][name]
    if schema.get("examples"):
        return dict(schema["examples"][0])
    return {
        field: spec["examples"][0]
        for field, spec in schema["properties"].items()
        if field in schema.get("required", []) or "examples" in spec
    }


def _has_example(doc: dict[str, Any], spec: dict[str, Any]) -> bool:
    return "examples" in spec or "default" in spec or "examples" in _schema(doc, spec)


def test_a_new_channel_is_onboarded_and_orders_using_only_the_openapi_document(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    scheme = doc["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["in"], scheme["name"]) == ("header", "X-API-Key")

    issue = doc["paths"]["/v1/keys"]["post"]
    key_body = _example(
        doc, _schema(doc, issue["requestBody"]["content"]["application/json"]["schema"])["title"]
    )
    assert key_body["role"] == "channel"
    issued = api.post("/v1/keys", json=key_body)
    assert issued.status_code == 201, issued.text
    channel_key = issued.json()["api_key"]

    ingest = doc["paths"]["/v1/orders"]["post"]
    order_schema = _schema(doc, ingest["requestBody"]["content"]["application/json"]["schema"])
    order_body = _example(doc, order_schema["title"])
    for line in order_body["lines"]:
        api.seed(sku=line["sku"], units=10)
    created = api.client.post("/v1/orders", json=order_body, headers={scheme["name"]: channel_key})
    assert created.status_code == 201, created.text
    assert created.json()["channel"] == key_body["channel"]
    assert "201" in ingest["responses"] and "409" in ingest["responses"]


def test_every_operation_has_a_description_and_every_body_an_example(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    undocumented, without_examples = [], []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if not operation.get("description"):
                undocumented.append(f"{method.upper()} {path}")
            content = operation.get("requestBody", {}).get("content", {})
            if content and "application/json" not in content:
                # A body that is not JSON (an X12 interchange): an example of the text itself.
                if not all("example" in body or "examples" in body for body in content.values()):
                    without_examples.append(f"{method.upper()} {path}")
            elif content:
                schema = _schema(doc, content["application/json"]["schema"])
                required = schema.get("required", [])
                has = schema.get("examples") or all(
                    _has_example(doc, schema["properties"][field]) for field in required
                )
                if not has:
                    without_examples.append(f"{method.upper()} {path}")
    assert undocumented == []
    assert without_examples == [], without_examples


def test_error_responses_are_documented_as_problem_json(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    for path, operations in doc["paths"].items():
        if path == "/health":
            continue
        for method, operation in operations.items():
            for status in ("401", "403", "422"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, f"{method} {path} {status}"
