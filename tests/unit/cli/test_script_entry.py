"""The `ordo` script notes stop signals before it loads the command line, for `ordo worker`
only: a worker stopped in its first second ends cleanly instead of dying in silence, and every
other command stays interruptible by Ctrl-C at once."""

from __future__ import annotations

import signal
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from ordo import entry
from ordo.entry import runs_worker


@pytest.mark.parametrize(
    "argv",
    [["worker"], ["worker", "--concurrency", "2"], ["--settings", "prod.env", "worker"],
     ["--settings=prod.env", "worker"]],
)  # fmt: skip
def test_the_worker_command_is_recognised_after_the_global_settings_option(
    argv: list[str],
) -> None:
    assert runs_worker(argv)


@pytest.mark.parametrize(
    "argv",
    [[], ["serve"], ["rules", "check", "worker"], ["--settings", "worker", "serve"], ["--help"]],
)
def test_other_commands_are_not_taken_for_the_worker(argv: list[str]) -> None:
    assert not runs_worker(argv)


@pytest.fixture
def signals_restored() -> Iterator[None]:
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in previous.items():
        signal.signal(sig, handler)


class CommandLine(types.ModuleType):
    """Stands in for `ordo.cli`: records how SIGTERM was handled when the script loaded it."""

    def __init__(self) -> None:
        super().__init__("ordo.cli")
        self.handler_when_loaded: Any = None

    def __getattr__(self, name: str) -> Any:
        if name != "main":
            raise AttributeError(name)
        self.handler_when_loaded = signal.getsignal(signal.SIGTERM)
        return lambda: None


def run_script(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> CommandLine:
    command_line = CommandLine()
    monkeypatch.setitem(sys.modules, "ordo.cli", command_line)
    monkeypatch.setattr(sys, "argv", ["ordo", *argv])
    entry.main()
    return command_line


def test_for_ordo_worker_a_stop_is_noted_before_the_command_line_is_loaded(
    monkeypatch: pytest.MonkeyPatch, signals_restored: None
) -> None:
    command_line = run_script(["worker"], monkeypatch)

    handler = command_line.handler_when_loaded
    assert handler not in (signal.SIG_DFL, signal.SIG_IGN, signal.default_int_handler)
    assert callable(handler)
    # The worker command, once loaded, finds the same noting and so the stop noted so far.
    from engine.stop_signals import stop_on_signals

    handler(signal.SIGTERM, None)
    assert stop_on_signals().is_set()


def test_other_commands_load_with_python_s_own_signal_handling(
    monkeypatch: pytest.MonkeyPatch, signals_restored: None
) -> None:
    before = signal.getsignal(signal.SIGTERM)

    command_line = run_script(["rules", "check", "routing.ordo"], monkeypatch)

    assert command_line.handler_when_loaded is before
