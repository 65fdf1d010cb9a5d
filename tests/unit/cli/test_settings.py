"""Settings are validated at start-up and every problem is one line naming the setting."""

from __future__ import annotations

import pytest

from ordo.settings import DEFAULT_SECRET_KEY, SettingsError, load_settings


def error_for(**overrides: object) -> str:
    with pytest.raises(SettingsError) as raised:
        load_settings(**overrides)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_defaults_run_on_an_sqlite_file_in_the_data_folder_and_the_in_process_bus() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///data/ordo.sqlite3"
    assert settings.redis_url is None
    assert settings.api_url == "http://127.0.0.1:8000"
    assert settings.environment == "development"


def test_a_non_numeric_port_names_the_variable_the_rule_and_the_value() -> None:
    assert error_for(api_port="abc") == (
        "ORDO_API_PORT: must be an integer between 1 and 65535, got 'abc'"
    )


def test_a_port_out_of_range_is_refused() -> None:
    assert error_for(console_port=70000).startswith("ORDO_CONSOLE_PORT: must be an integer")


def test_a_port_from_the_environment_is_reported_under_its_variable_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_API_PORT", "80a")
    assert error_for() == "ORDO_API_PORT: must be an integer between 1 and 65535, got '80a'"


@pytest.mark.parametrize("host", ["", "  ", "127.0.0.1 8000"])
def test_an_empty_host_is_refused_rather_than_listening_on_every_interface(host: str) -> None:
    assert error_for(api_host=host).startswith(
        "ORDO_API_HOST: must be an address to listen on, such as 127.0.0.1 (or 0.0.0.0"
    )


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused_since_it_keeps_nothing(url: str) -> None:
    assert error_for(database_url=url).startswith(
        "ORDO_DATABASE_URL: is an in-memory SQLite database, which keeps nothing"
    )


def test_a_foreign_database_scheme_is_refused() -> None:
    message = error_for(database_url="mysql://root@localhost/ordo")
    assert message.startswith("ORDO_DATABASE_URL: must be an sqlite:/// or postgresql:// URL")


def test_a_malformed_database_url_is_one_clear_line() -> None:
    assert error_for(database_url="not a url").startswith(
        "ORDO_DATABASE_URL: is not a database URL"
    )


def test_a_password_in_a_refused_database_url_is_masked() -> None:
    message = error_for(database_url="mysql://root:hunter2@localhost/ordo")
    assert "hunter2" not in message


def test_a_postgresql_url_without_a_database_name_is_refused() -> None:
    assert "names no database" in error_for(database_url="postgresql://127.0.0.1:5432")


def test_postgresql_urls_are_pinned_to_the_psycopg_3_driver() -> None:
    settings = load_settings(database_url="postgresql://postgres@127.0.0.1:5432/ordo")
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/ordo"


def test_the_default_secret_is_refused_in_production() -> None:
    message = error_for(environment="production")
    assert message.startswith("ORDO_SECRET_KEY: the default is refused")


def test_production_starts_with_a_secret_of_its_own() -> None:
    settings = load_settings(environment="production", secret_key="x" * 40)
    assert settings.secret_key.get_secret_value() != DEFAULT_SECRET_KEY


def test_an_unknown_environment_lists_the_choices() -> None:
    assert error_for(environment="prod") == (
        "ORDO_ENVIRONMENT: must be one of development, test, production, got 'prod'"
    )


def test_choices_are_case_insensitive() -> None:
    settings = load_settings(optimiser="EXACT", log_level="debug")
    assert (settings.optimiser, settings.log_level) == ("exact", "DEBUG")


def test_a_redis_url_must_be_a_redis_url() -> None:
    assert error_for(redis_url="http://127.0.0.1:6379").startswith("ORDO_REDIS_URL: must start")


def test_a_misspelt_override_suggests_the_real_setting() -> None:
    assert error_for(api_prot=9000) == "api_prot: unknown setting (did you mean ORDO_API_PORT?)"


def test_environment_variables_beat_defaults_and_overrides_beat_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_API_PORT", "9001")
    assert load_settings().api_port == 9001
    assert load_settings(api_port=9002).api_port == 9002


def test_the_api_url_follows_host_and_port_unless_given() -> None:
    assert load_settings(api_host="0.0.0.0", api_port=9000).api_url == "http://0.0.0.0:9000"
    assert load_settings(api_url="https://ordo.example.com/").api_url == (
        "https://ordo.example.com"
    )


def test_a_malformed_bootstrap_admin_key_is_refused_without_echoing_it() -> None:
    message = error_for(bootstrap_admin_key="ordo_abc_tooshort")
    assert message.startswith("ORDO_BOOTSTRAP_ADMIN_KEY: must look like ordo_<id>_<secret>")
    assert "tooshort" not in message


def test_a_short_secret_is_refused_outside_development() -> None:
    assert error_for(environment="test", secret_key="short") == (
        "ORDO_SECRET_KEY: must be at least 16 characters when environment is test "
        "(it signs tokens and hashes API keys)"
    )


def test_automatic_release_is_on_and_reservations_never_expire_by_default() -> None:
    settings = load_settings()
    assert settings.auto_release is True
    assert settings.reservation_ttl_minutes is None


def test_manual_release_with_a_reservation_time_to_live_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_AUTO_RELEASE", "off")
    monkeypatch.setenv("ORDO_RESERVATION_TTL_MINUTES", " 30 ")
    settings = load_settings()
    assert settings.auto_release is False
    assert settings.reservation_ttl_minutes == 30


def test_an_empty_reservation_time_to_live_means_reservations_never_expire() -> None:
    assert load_settings(reservation_ttl_minutes="").reservation_ttl_minutes is None


def test_auto_release_that_is_not_a_boolean_names_the_variable() -> None:
    assert error_for(auto_release="sometimes") == (
        "ORDO_AUTO_RELEASE: must be true or false, got 'sometimes'"
    )


@pytest.mark.parametrize("minutes", ["0", "-5", "1.5", "half an hour", "600000"])
def test_a_reservation_time_to_live_must_be_whole_minutes_up_to_a_year(minutes: str) -> None:
    assert error_for(reservation_ttl_minutes=minutes) == (
        "ORDO_RESERVATION_TTL_MINUTES: must be a whole number of minutes from 1 to 527040 "
        f"(a year), got {minutes!r}"
    )


def test_the_api_runs_one_process_that_checks_for_rulesets_published_elsewhere_every_5_s() -> None:
    settings = load_settings()
    assert (settings.api_workers, settings.ruleset_refresh_seconds) == (1, 5.0)


def test_api_workers_and_the_refresh_interval_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_API_WORKERS", "4")
    monkeypatch.setenv("ORDO_RULESET_REFRESH_SECONDS", "0.5")
    settings = load_settings()
    assert (settings.api_workers, settings.ruleset_refresh_seconds) == (4, 0.5)


@pytest.mark.parametrize("workers", ["0", "-1", "two", "1.5", "65"])
def test_api_workers_must_be_a_whole_number_from_1_to_64(workers: str) -> None:
    assert error_for(api_workers=workers) == (
        f"ORDO_API_WORKERS: must be a whole number from 1 to 64, got {workers!r}"
    )


def test_a_ruleset_refresh_interval_that_is_not_a_number_says_so() -> None:
    assert error_for(ruleset_refresh_seconds="soon") == (
        "ORDO_RULESET_REFRESH_SECONDS: must be a number of seconds, got 'soon'"
    )


@pytest.mark.parametrize("seconds", ["-1", "nan", "3601"])
def test_the_ruleset_refresh_interval_is_0_to_an_hour(seconds: str) -> None:
    assert error_for(ruleset_refresh_seconds=seconds) == (
        f"ORDO_RULESET_REFRESH_SECONDS: must be from 0 (never) to 3600 seconds, got {seconds!r}"
    )


def test_lateness_markers_are_kept_30_days_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().lateness_flag_retention_days == 30
    monkeypatch.setenv("ORDO_LATENESS_FLAG_RETENTION_DAYS", "7")
    assert load_settings().lateness_flag_retention_days == 7


@pytest.mark.parametrize("days", ["0", "a week", "3651"])
def test_the_lateness_marker_retention_is_whole_days_up_to_ten_years(days: str) -> None:
    assert error_for(lateness_flag_retention_days=days) == (
        f"ORDO_LATENESS_FLAG_RETENTION_DAYS: must be a whole number of days from 1 to 3650, "
        f"got {days!r}"
    )


PASSWORD = "pw-nobody-may-see"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"database_url": f"postgresql://ordo:{PASSWORD}@db:notaport/ordo"},
            "ORDO_DATABASE_URL: port 'notaport' is not a number, "
            "got 'postgresql://ordo:***@db:notaport/ordo'",
        ),
        (
            {"database_url": f"postgresql://ordo:{PASSWORD}@db:99999/ordo"},
            "ORDO_DATABASE_URL: port 99999 is out of range (1 to 65535), "
            "got 'postgresql://ordo:***@db:99999/ordo'",
        ),
        (
            {"database_url": f"ordo:{PASSWORD}@db/ordo"},
            "ORDO_DATABASE_URL: is not a database URL (expected e.g. sqlite:///data/ordo.sqlite3 "
            "or postgresql://user@host:5432/ordo), got 'ordo:***@db/ordo'",
        ),
        (
            {"database_url": f"mysql://ordo@db/ordo?password={PASSWORD}"},
            "ORDO_DATABASE_URL: must be an sqlite:/// or postgresql:// URL, "
            "got 'mysql://ordo@db/ordo?password=***'",
        ),
        (
            {"redis_url": f"redis://:{PASSWORD}@cache:bad/0"},
            "ORDO_REDIS_URL: port 'bad' is not a number, got 'redis://:***@cache:bad/0'",
        ),
        (
            {"redis_url": f"redis://:{PASSWORD}@cache:6379/zero"},
            "ORDO_REDIS_URL: database 'zero' is not a number (e.g. redis://host:6379/0), "
            "got 'redis://:***@cache:6379/zero'",
        ),
        (
            {"redis_url": f"rediss://:{PASSWORD}@cache/0?db=one"},
            "ORDO_REDIS_URL: db='one' is not a number, got 'rediss://:***@cache/0?db=one'",
        ),
        (
            {"redis_url": f"http://:{PASSWORD}@cache:6379"},
            "ORDO_REDIS_URL: must start with redis://, rediss:// or unix://, "
            "got 'http://:***@cache:6379'",
        ),
        (
            {"webhook_url": f"ftp://hook:{PASSWORD}@hooks.example"},
            "ORDO_WEBHOOK_URL: must be an http:// or https:// URL with a host, "
            "got 'ftp://hook:***@hooks.example'",
        ),
        (
            {"api_url": f"ftp://api:{PASSWORD}@api.example"},
            "ORDO_API_URL: must start with http:// or https://, got 'ftp://api:***@api.example'",
        ),
    ],
)
def test_a_refused_url_says_what_is_wrong_without_its_password(
    overrides: dict[str, str], message: str
) -> None:
    assert error_for(**overrides) == message


def test_a_redis_url_redis_py_reads_is_kept_as_written() -> None:
    url = "redis://:pw@cache:6379/2?socket_timeout=5"
    assert load_settings(redis_url=url).redis_url == url
    assert load_settings(redis_url="unix:///run/redis.sock?db=1").redis_url is not None


@pytest.mark.parametrize(
    "sender", ["not-an-email", "ordo@", "@shop.example", "Ordo <o@shop.example>"]
)
def test_an_smtp_sender_that_is_not_a_bare_email_address_is_refused_at_startup(
    sender: str,
) -> None:
    assert error_for(smtp_sender=sender) == (
        f"ORDO_SMTP_SENDER: must be an email address such as orders@shop.example, got {sender!r}"
    )


def test_an_smtp_sender_is_kept_without_the_spaces_around_it() -> None:
    assert load_settings(smtp_sender=" orders@shop.example ").smtp_sender == "orders@shop.example"
    assert load_settings().smtp_sender == "ordo@localhost"


def test_a_blank_smtp_host_from_the_environment_leaves_email_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_SMTP_HOST", "  ")
    assert load_settings().smtp_host is None
    assert load_settings(smtp_host=" mail.shop.example ").smtp_host == "mail.shop.example"


def test_an_smtp_host_with_a_space_inside_is_refused_at_startup() -> None:
    assert error_for(smtp_host="mail.shop.example 587").startswith(
        "ORDO_SMTP_HOST: must be a host name such as smtp.example.com"
    )


def test_a_shops_early_cancellations_are_kept_30_days_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().channel_cancellation_retention_days == 30
    monkeypatch.setenv("ORDO_CHANNEL_CANCELLATION_RETENTION_DAYS", "7")
    assert load_settings().channel_cancellation_retention_days == 7
    assert error_for(channel_cancellation_retention_days="0") == (
        "ORDO_CHANNEL_CANCELLATION_RETENTION_DAYS: must be a whole number of days from 1 to "
        "3650, got '0'"
    )
