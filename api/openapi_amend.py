"""Changes the app makes to its own OpenAPI document, for what middleware adds to many
routes at once (a header, a status) that the routes themselves do not declare."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

# A response's body when it is a problem (`api/errors.py`), as the document refers to it.
PROBLEM_CONTENT: dict[str, Any] = {
    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
}

Amend = Callable[[str, str, dict[str, Any]], None]


def amend_operations(app: FastAPI, amend: Amend) -> None:
    """Call `amend(path, method, operation)` on every operation of `app`'s OpenAPI document,
    once, when the document is first rendered (after the changes already registered)."""
    render: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for path, operations in render().get("paths", {}).items():
                for method, operation in operations.items():
                    amend(path, method, operation)
        assert app.openapi_schema is not None
        return app.openapi_schema

    # FastAPI's documented way to change the document: replace the app's `openapi`.
    app.openapi = openapi  # type: ignore[method-assign]
