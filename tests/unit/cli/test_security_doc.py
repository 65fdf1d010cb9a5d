"""docs/security.md cannot drift from the names it cites: every setting, command, flag, file and
link on it exists, its list of secret settings is the one `ordo settings` hides, the options it
says `ordo serve` has are all it has (so "no TLS options" stays true), and its example
PostgreSQL and Redis URLs are accepted and reach their drivers with their TLS parameters."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import redis
import typer

from engine.adapters.database import make_engine
from ordo.cli import app
from ordo.settings import _SECRET_FIELDS, Settings, load_settings

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "security.md"
CODE_SPAN = re.compile(r"`([^`]+)`")
SETTING = re.compile(r"\bORDO_[A-Z0-9_]+\b")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# Folders of the repository a cited path starts with; other spans with a slash are URLs,
# routes (/v1/...) or folders under ORDO_DATA_DIR.
TOP_FOLDERS = ("api/", "admin_ui/", "connectors/", "docs/", "dsl/", "engine/", "ordo/", "tests/")


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _spans() -> list[str]:
    """Every code span, a span wrapped over two lines read as one line."""
    return [" ".join(span.split()) for span in CODE_SPAN.findall(_text())]


def _section(title: str) -> str:
    """The text under the heading `title`, up to the next heading of any level."""
    text = _text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


# Typer's own (vendored) click objects: a group is the command with `commands`.
ORDO: Any = typer.main.get_command(app)


def _command(words: list[str]) -> tuple[Any, list[str]]:
    """The command `ordo <words>` runs, and the words left after its name."""
    command = ORDO
    while words and words[0] in getattr(command, "commands", {}):
        command = command.commands[words[0]]
        words = words[1:]
    return command, words


def _flags(command: Any) -> set[str]:
    return {name for param in command.params for name in getattr(param, "opts", ())}


def _github_anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces as '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_every_setting_the_security_page_names_is_a_setting_of_ordo() -> None:
    named = set(SETTING.findall(_text()))
    known = {f"ORDO_{name.upper()}" for name in Settings.model_fields}
    assert named, "the page names no setting"
    assert sorted(named - known) == []


def test_the_security_page_lists_exactly_the_settings_ordo_keeps_secret() -> None:
    blocks = _section("Secrets in the settings").split("\n\n")
    intro = next(i for i, block in enumerate(blocks) if block.startswith("These settings"))
    listed = set(SETTING.findall(blocks[intro + 1]))
    assert listed == {f"ORDO_{name.upper()}" for name in _SECRET_FIELDS}


def test_every_ordo_command_and_flag_the_security_page_names_exists() -> None:
    cited = [span.split() for span in _spans() if span.startswith("ordo ")]
    assert cited, "the page names no command"
    for words in cited:
        command, rest = _command(words[1:])
        assert command is not ORDO, f"`{' '.join(words)}`: no such command"
        # A word left after a group's name that is no flag nor placeholder (ID, FILE) would
        # have been a subcommand: one the group does not have.
        unknown = hasattr(command, "commands") and rest and rest[0].islower()
        assert not unknown, f"`{' '.join(words)}`: no such command"
        flags = {word.strip("[]") for word in rest if word.strip("[]").startswith("--")}
        assert flags <= _flags(command), f"`{' '.join(words)}`: {flags - _flags(command)}"


def test_the_options_the_security_page_gives_ordo_serve_are_all_it_has() -> None:
    # The page says TLS is not among them; a new option must be weighed against that.
    text = _section("Encryption")
    said = set(re.findall(r"`(--[a-z-]+)`", text[text.index("`ordo serve` has") :][:80]))
    serve, _ = _command(["serve"])
    assert said == _flags(serve) - {"--help"}


def test_every_file_the_security_page_cites_is_in_the_repository() -> None:
    paths = [span for span in _spans() if span.startswith(TOP_FOLDERS)]
    assert paths, "the page cites no file"
    assert [path for path in paths if not (ROOT / path).exists()] == []


def test_every_link_on_the_security_page_reaches_a_file_and_its_heading() -> None:
    for target in LINK.findall(_text()):
        assert not target.startswith(("http://", "https://")), target
        name, _, anchor = target.partition("#")
        linked = DOC.parent / name
        assert linked.is_file(), f"{target}: no such file"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.M)
            assert anchor in {_github_anchor(h) for h in headings}, f"{target}: no such heading"


def _example(scheme: str) -> str:
    found = [span for span in _spans() if span.startswith(scheme) and span != scheme]
    assert len(found) == 1, f"expected one {scheme} example, found {found}"
    return found[0]


def test_the_security_pages_postgresql_url_reaches_libpq_with_its_tls_parameters() -> None:
    url = _example("postgresql://")
    settings = load_settings(database_url=url, secret_key="x" * 32, environment="production")
    engine = make_engine(settings.database_url)  # no connection is made until one is used
    try:
        _, arguments = engine.dialect.create_connect_args(engine.url)
    finally:
        engine.dispose()
    assert arguments["sslmode"] == "verify-full"
    assert arguments["sslrootcert"] == "/etc/ordo/db-ca.pem"


def test_the_security_pages_redis_url_is_accepted_and_opens_tls_connections() -> None:
    url = _example("rediss://")
    settings = load_settings(redis_url=url)
    assert settings.redis_url is not None
    client: Any = redis.Redis.from_url(settings.redis_url)  # connects on first use only
    pool = client.connection_pool
    assert pool.connection_class is redis.connection.SSLConnection
    assert pool.connection_kwargs["ssl_ca_certs"] == "/etc/ordo/redis-ca.pem"
