"""The API's access log without personal data: uvicorn's log config with the query values
masked.

Uvicorn's access log line names each request's path and query string, and a query can carry
personal data (`GET /v1/orders?email=ada@example.com`) that erasure never reaches once it is
in a log file. `QueryMasker` rewrites the path of every record logged to `uvicorn.access`
before any handler sees it, keeping each parameter's name (which says what was asked) and
masking its value: `/v1/orders?email=…`.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

ACCESS_LOGGER = "uvicorn.access"
MASK = "…"
# Where uvicorn puts the path in an access record's args: (client, method, path, version, status).
_PATH_ARG = 2


def mask_query(path: str) -> str:
    """`path` with each query value replaced by MASK; a path without a query is unchanged."""
    base, mark, query = path.partition("?")
    if not mark:
        return path
    if not query:
        return base + mark
    masked = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        # A bare `?token` is a value as much as a name: only `name=value` keeps the name.
        masked.append(f"{name}={MASK}" if equals else MASK)
    return f"{base}?{'&'.join(masked)}"


class QueryMasker(logging.Filter):
    """Masks the query values in uvicorn's access records (installed on `uvicorn.access`, so
    every handler, uvicorn's or one an operator adds, gets the masked record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG:
            path = args[_PATH_ARG]
            if isinstance(path, str):
                record.args = (*args[:_PATH_ARG], mask_query(path), *args[_PATH_ARG + 1 :])
        return True


def log_config() -> dict[str, Any]:
    """Uvicorn's own log config (format, streams, levels), with QueryMasker on its access
    logger; `uvicorn.run(log_config=...)` installs it in every worker process."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["mask_query"] = {"()": f"{__name__}.QueryMasker"}
    access = config["loggers"][ACCESS_LOGGER]
    access["filters"] = [*access.get("filters", []), "mask_query"]
    return config
