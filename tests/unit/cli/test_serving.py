"""What `ordo up` and `ordo console` need of the console's files, said plainly when missing."""

from __future__ import annotations

import pytest

from ordo import serving
from ordo.failures import CommandError, describe_failure


def test_the_console_script_is_the_admin_ui_app_file() -> None:
    script = serving.console_script()
    assert script.name == "app.py"
    assert script.parent.name == "admin_ui"


def test_a_missing_console_module_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "CONSOLE_MODULE", "admin_ui.no_such_console")
    with pytest.raises(CommandError) as raised:
        serving.console_script()
    message, code = describe_failure(raised.value) or ("", 0)
    assert "admin_ui.no_such_console cannot be found" in message
    assert code == 1
