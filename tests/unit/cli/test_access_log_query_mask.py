"""The access log filter masks query values in records shaped as uvicorn logs them, whatever
formatter prints them, and leaves everything else of the record alone."""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Iterator

import pytest
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter

from ordo.access_log import ACCESS_LOGGER, QueryMasker, log_config, mask_query


def access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's HTTP protocols log a finished request."""
    return logging.LogRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


def test_each_query_value_is_masked_each_name_kept_and_a_path_without_one_unchanged() -> None:
    logged = {
        "/v1/orders?email=ada@example.com": "/v1/orders?email=…",
        "/v1/orders?email=ada%40example.com&status=received": "/v1/orders?email=…&status=…",
        "/v1/customers?ada@example.com": "/v1/customers?…",
        "/v1/orders?q=": "/v1/orders?q=…",
        "/v1/orders?": "/v1/orders?",
        "/v1/orders/O-1": "/v1/orders/O-1",
    }

    assert {path: mask_query(path) for path in logged} == logged


def test_the_formatter_prints_the_masked_request_line_and_other_records_as_they_are() -> None:
    record = access_record("/v1/orders?email=ada@example.com")
    other = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, "started", None, None)

    assert QueryMasker().filter(record) and QueryMasker().filter(other)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)

    assert line == '127.0.0.1:5000 - "GET /v1/orders?email=… HTTP/1.1" 200 OK'
    assert "ada" not in record.getMessage()
    assert other.getMessage() == "started"


@pytest.fixture
def uvicorn_loggers() -> Iterator[None]:
    """Put uvicorn's loggers back as they were after a test configures them."""
    names = ("uvicorn", "uvicorn.error", ACCESS_LOGGER)
    saved = {
        name: (lg.handlers[:], lg.filters[:], lg.propagate, lg.level, lg.disabled)
        for name, lg in ((name, logging.getLogger(name)) for name in names)
    }
    yield
    for name, (handlers, filters, propagate, level, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.filters[:] = handlers, filters
        logger.propagate, logger.level, logger.disabled = propagate, level, disabled


@pytest.mark.usefixtures("uvicorn_loggers")
def test_under_the_log_config_an_access_line_keeps_uvicorn_s_format_without_the_email(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logging.config.dictConfig(log_config())
    record = access_record("/v1/orders?email=ada@example.com")

    logging.getLogger(ACCESS_LOGGER).info(record.msg, *record.args)  # type: ignore[misc]

    logged = capsys.readouterr().out
    assert logged == 'INFO:     127.0.0.1:5000 - "GET /v1/orders?email=… HTTP/1.1" 200 OK\n'
    # Otherwise uvicorn's own config: its format, streams and levels.
    config = log_config()
    assert config["loggers"][ACCESS_LOGGER].pop("filters") == ["mask_query"]
    config.pop("filters")
    assert config == LOGGING_CONFIG
