"""ORDO_RATE_LIMITS and the failed sign-in lockout: read and checked at start-up, and built
into the limits the API enforces (`build_rate_limits`), with no I/O."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.adapters.bus import InProcessBus
from engine.adapters.rate_limits import (
    MemoryBudgets,
    MemorySignInGuard,
    Rate,
    RedisBudgets,
    RedisSignInGuard,
)
from ordo.bootstrap import build_event_bus, build_rate_limits
from ordo.settings import SettingsError, load_settings


def test_by_default_no_key_is_limited_and_20_failed_sign_ins_a_minute_lock_an_address_out() -> None:
    settings = load_settings()
    assert settings.rate_limits == ""
    assert settings.role_rate_limits == {}
    assert settings.failed_sign_in_rate == Rate(20, 60)
    assert settings.failed_sign_in_lockout_seconds == 300
    limits = build_rate_limits(settings, InProcessBus())
    assert limits is not None and limits.rates == {}
    assert isinstance(limits.sign_ins, MemorySignInGuard)
    assert limits.take("any-key", "channel") is None
    assert limits.take_anonymous("203.0.113.7") is None
    assert not limits.any_budget  # the API adds no RateLimit fields, nor the middleware


def test_role_limits_are_read_from_the_environment_and_kept_as_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_RATE_LIMITS", "channel=600/s, support=50/s")
    settings = load_settings()
    assert settings.rate_limits == "channel=600/s,support=50/s"
    assert settings.role_rate_limits == {"channel": Rate(600, 1), "support": Rate(50, 1)}


def test_role_limits_may_be_a_mapping_in_a_yaml_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "ordo.yaml"
    path.write_text("rate_limits:\n  channel: 600/s\n  '*': 100/s\n", encoding="utf-8")
    assert load_settings(path).role_rate_limits == {"channel": Rate(600, 1), "*": Rate(100, 1)}


@pytest.mark.parametrize(
    ("name", "written", "message"),
    [("rate_limits", "chanel=600/s",
      "ORDO_RATE_LIMITS: 'chanel' is not a role (one of admin, analyst, channel, customer, "
      "support, warehouse), anonymous or * (did you mean channel?), got 'chanel=600/s'"),
     ("rate_limits", "channel=600/s,anonymus=60/min",
      "ORDO_RATE_LIMITS: 'anonymus' is not a role (one of admin, analyst, channel, customer, "
      "support, warehouse), anonymous or * (did you mean anonymous?), got "
      "'channel=600/s,anonymus=60/min'"),
     ("rate_limits", "anonymous=60/fortnight",
      "ORDO_RATE_LIMITS: anonymous: must be a count per period such as 600/s, 50/10s, "
      "1000/min or 5/h (0: no limit), got '60/fortnight'"),
     ("rate_limits", "channel=600",
      "ORDO_RATE_LIMITS: channel: must be a count per period such as 600/s, 50/10s, 1000/min "
      "or 5/h (0: no limit), got '600'"),
     ("failed_sign_in_limit", "twenty",
      "ORDO_FAILED_SIGN_IN_LIMIT: must be a count per period such as 600/s, 50/10s, "
      "1000/min or 5/h (0: no limit), got 'twenty'"),
     ("failed_sign_in_limit", "20000/min",
      "ORDO_FAILED_SIGN_IN_LIMIT: must be at most 10000 failed sign-ins a period, got "
      "'20000/min'"),
     ("failed_sign_in_lockout_seconds", "0",
      "ORDO_FAILED_SIGN_IN_LOCKOUT_SECONDS: must be from 1 to 86400 seconds, got '0'"),
     ("failed_sign_in_lockout_seconds", "soon",
      "ORDO_FAILED_SIGN_IN_LOCKOUT_SECONDS: must be a number of seconds, got 'soon'")],
)  # fmt: skip
def test_a_bad_limit_stops_start_up_in_one_line_naming_the_variable(
    name: str, written: str, message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(**{name: written})
    assert str(refused.value) == message


def test_with_no_role_limits_and_lockouts_off_there_is_nothing_to_enforce() -> None:
    settings = load_settings(failed_sign_in_limit="0", rate_limits="channel=0")
    assert settings.failed_sign_in_rate is None
    assert build_rate_limits(settings, InProcessBus()) is None


def test_role_limits_alone_are_enforced_without_lockouts() -> None:
    settings = load_settings(failed_sign_in_limit="0", rate_limits="channel=1/s")
    limits = build_rate_limits(settings, InProcessBus())
    assert limits is not None and limits.sign_ins is None
    assert isinstance(limits.budgets, MemoryBudgets)
    first, second = limits.take("k", "channel"), limits.take("k", "channel")
    assert first is not None and not first.refused
    assert second is not None and second.refused


def test_an_anonymous_budget_is_per_address_and_not_covered_by_star(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_RATE_LIMITS", "*=100/s, anonymous = 60/min")
    settings = load_settings()
    assert settings.rate_limits == "*=100/s,anonymous=60/min"
    limits = build_rate_limits(settings, InProcessBus())
    assert limits is not None and limits.anonymous == Rate(60, 60) and limits.keys_limited
    assert limits.rate_for("channel") == Rate(100, 1)
    starred = build_rate_limits(load_settings(rate_limits="*=100/s"), InProcessBus())
    assert starred is not None and starred.anonymous is None


def test_an_anonymous_budget_alone_limits_no_key() -> None:
    limits = build_rate_limits(load_settings(rate_limits="anonymous=5/s"), InProcessBus())
    assert limits is not None and limits.any_budget and not limits.keys_limited
    assert limits.take("k", "channel") is None


def test_with_redis_failed_sign_ins_are_counted_there_through_the_buss_client_unconnected(
    tmp_path: Path,
) -> None:
    # Port 9 (discard) is never Redis: building must not connect.
    settings = load_settings(redis_url="redis://127.0.0.1:9/0", data_dir=tmp_path)
    bus = build_event_bus(settings, engine=None)  # type: ignore[arg-type]
    limits = build_rate_limits(settings, bus)
    assert limits is not None and isinstance(limits.sign_ins, RedisSignInGuard)
    assert limits.sign_ins.client is bus.client  # type: ignore[attr-defined]
    assert isinstance(limits.budgets, MemoryBudgets)  # no budget set: nothing to share


def test_with_redis_budgets_are_shared_through_a_client_of_their_own_unconnected(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        redis_url="redis://127.0.0.1:9/0", data_dir=tmp_path, rate_limits="channel=600/s"
    )
    bus = build_event_bus(settings, engine=None)  # type: ignore[arg-type]
    limits = build_rate_limits(settings, bus)
    assert limits is not None and isinstance(limits.budgets, RedisBudgets)
    # Its own client, whose time-outs keep a request from waiting long on a stalled Redis.
    client = limits.budgets.client
    assert client is not bus.client  # type: ignore[attr-defined]
    options = client.connection_pool.connection_kwargs
    assert options["socket_timeout"] == options["socket_connect_timeout"] == 0.25
