"""Ordo's PostgreSQL sessions start with its planner settings, and a URL's own options win."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from engine.adapters.database import _session_options


def test_a_plain_url_gets_the_planner_settings() -> None:
    url = make_url("postgresql+psycopg://ordo@db/ordo")

    assert _session_options(url, {}) == "-c random_page_cost=1.1"


def test_pgoptions_from_the_environment_still_apply_when_the_url_gives_none() -> None:
    """Passing `options` overrides libpq's $PGOPTIONS, so they are carried over."""
    url = make_url("postgresql+psycopg://ordo@db/ordo")

    assert (
        _session_options(url, {"PGOPTIONS": "-c work_mem=64MB"})
        == "-c work_mem=64MB -c random_page_cost=1.1"
    )


def test_options_the_url_gives_are_kept_and_ours_follow() -> None:
    url = make_url("postgresql+psycopg://ordo@db/ordo?options=-c%20statement_timeout%3D5s")

    assert (
        _session_options(url, {"PGOPTIONS": "-c work_mem=64MB"})
        == "-c statement_timeout=5s -c random_page_cost=1.1"
    )


def test_a_url_that_sets_random_page_cost_itself_is_not_overridden() -> None:
    url = make_url("postgresql+psycopg://ordo@db/ordo?options=-c%20random_page_cost%3D2")

    assert _session_options(url, {}) == "-c random_page_cost=2"
