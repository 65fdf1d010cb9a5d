"""Starting Ordo's long-running processes: the API under uvicorn and the Streamlit console.

The CLI commands `serve`, `console` and `up` are thin; the process handling lives here so
`up` can run the console as a child of the API process and stop it cleanly on Ctrl-C.
"""

from __future__ import annotations

import errno
import importlib.util
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from ordo.access_log import log_config
from ordo.bootstrap import Container, ensure_data_directory, ensure_sqlite_directory
from ordo.failures import CommandError
from ordo.hosts import is_loopback
from ordo.settings import DEFAULT_SECRET_KEY, Settings

log = logging.getLogger(__name__)

CONSOLE_MODULE = "admin_ui.app"
# How long a child (console, worker) gets to exit after SIGTERM before it is killed.
CONSOLE_STOP_SECONDS = 10


def migrate(settings: Settings) -> None:
    """Bring the database schema to the newest migration (idempotent), and refuse a schema
    that is at the newest revision yet lacks tables: the migrations, run already, would not
    create them again, and every other command would fail on the first one it needs."""
    ensure_sqlite_directory(settings.database_url)
    from engine.adapters.migrations import upgrade

    upgrade(settings.database_url)
    missing = missing_tables(settings.database_url)
    if missing:
        raise CommandError(
            f"the database is at the newest schema revision but lacks table(s) "
            f"{', '.join(missing)}: its schema is damaged (a table dropped by hand, or a "
            "partial restore), which `ordo db upgrade` cannot repair; restore the database "
            "from a backup, or point ORDO_DATABASE_URL at a new one and run `ordo db upgrade`"
        )


def missing_tables(database_url: str) -> list[str]:
    """The tables Ordo's migrations create that the database at `database_url` lacks."""
    from sqlalchemy import inspect

    from engine.adapters.database import make_engine
    from engine.adapters.migrations import target_metadata

    engine = make_engine(database_url)
    try:
        present = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    expected = {name for metadata in target_metadata() for name in metadata.tables}
    return sorted(expected - present)


def create_api(container: Container) -> Any:
    """The FastAPI application for `container`."""
    from api.app import create_app

    return create_app(container)


def serve_api(
    container: Container,
    settings_file: Path | None = None,
    *,
    port_name: str = "ORDO_API_PORT",
    host_name: str = "ORDO_API_HOST",
) -> None:
    """Run the API in the foreground until Ctrl-C; uvicorn handles the signal and drains.

    With `api_workers` above 1, uvicorn runs that many processes on the one port, each
    building its own container from the same settings (`worker_app`): the pipeline is
    Python, so one process decides orders on one core at most. `port_name` and `host_name`
    say where the port and host came from (`--port` when a flag gave it)."""
    settings = container.settings
    ensure_port_free(settings.api_host, settings.api_port, port_name, host_name)
    ensure_secret_for_host(settings, host_name)
    # The API keeps simulation data sets and results there: made here, for Ordo's user only,
    # before a route makes it with the umask's permissions.
    ensure_data_directory(settings.data_dir)
    # Load the published rulesets here, where the CLI reports a database without Ordo's
    # schema (or out of reach) in one line: the app's startup would refuse to serve just
    # the same, but uvicorn prints that refusal with its traceback.
    container.rulesets.ensure_loaded()
    import uvicorn

    options: dict[str, Any] = {
        "host": settings.api_host,
        "port": settings.api_port,
        "log_level": settings.log_level.lower(),
        # Uvicorn's format, with query values masked: they can carry personal data.
        "log_config": log_config(),
    }
    if settings.api_workers == 1:
        app = create_api(container)
        container.warm_up()
        uvicorn.run(app, **options)
        return
    # The worker processes are spawned: they read their settings where this process did
    # (the settings file and ORDO_ variables), with this run's command-line flags as the
    # ORDO_ variables that override both.
    os.environ.update(worker_environment(settings, settings_file))
    uvicorn.run(WORKER_APP, factory=True, workers=settings.api_workers, **options)


WORKER_APP = "ordo.serving:worker_app"


def worker_environment(settings: Settings, settings_file: Path | None) -> dict[str, str]:
    """What a spawned API worker needs in its environment to load the same settings."""
    environment = {
        "ORDO_API_HOST": settings.api_host,
        "ORDO_API_PORT": str(settings.api_port),
        "ORDO_API_WORKERS": str(settings.api_workers),
    }
    if settings_file is not None:
        environment["ORDO_SETTINGS_FILE"] = str(settings_file)
    return environment


def worker_app() -> Any:
    """One API worker process's app (uvicorn's factory with `api_workers` > 1). Its
    container lives as long as the process; the pool's connections close when it exits."""
    from ordo.bootstrap import build_app_container, configure_logging
    from ordo.settings import load_settings

    settings = load_settings()
    configure_logging(settings)
    container = build_app_container(settings)
    app = create_api(container)
    container.warm_up()
    return app


def console_script() -> Path:
    """Where the Streamlit console's entry script is (Streamlit runs a file, not a module)."""
    spec = importlib.util.find_spec(CONSOLE_MODULE)
    if spec is None or spec.origin is None:
        raise CommandError(
            f"the admin console's module {CONSOLE_MODULE} cannot be found: run Ordo from its "
            "checkout, or reinstall it (make install)"
        )
    return Path(spec.origin)


def console_command(settings: Settings, script: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.address",
        settings.api_host,
        "--server.port",
        str(settings.console_port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def start_console(settings: Settings, script: Path) -> subprocess.Popen[bytes]:
    """Start the console (`script`, from `console_script`) as a child process pointed at the
    API by ORDO_API_URL. It reads both variables itself (it may not import Ordo's settings):
    the API address, and the environment, outside development of which its sign-in form does
    not let anyone choose another address."""
    ensure_port_free(settings.api_host, settings.console_port, "ORDO_CONSOLE_PORT")
    ensure_secret_for_host(settings, "ORDO_API_HOST")
    environment = {
        **os.environ,
        "ORDO_API_URL": settings.api_url,
        # From the settings, which may come from a settings file rather than this variable.
        "ORDO_ENVIRONMENT": settings.environment,
    }
    return subprocess.Popen(console_command(settings, script), env=environment)


def start_worker(settings_file: Path | None) -> subprocess.Popen[bytes]:
    """Run `ordo worker` as a child with the same settings: it relays the outbox and runs
    alerts and notifications, which the API process itself does not do."""
    environment = dict(os.environ)
    if settings_file is not None:
        environment["ORDO_SETTINGS_FILE"] = str(settings_file)
    return subprocess.Popen([sys.executable, "-m", "ordo", "worker"], env=environment)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Ask a child to stop, and insist if it does not within CONSOLE_STOP_SECONDS."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=CONSOLE_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("%s did not stop within %ss; killing it", process.args, CONSOLE_STOP_SECONDS)
        process.kill()
        process.wait()


def ensure_secret_for_host(settings: Settings, host_setting: str = "ORDO_API_HOST") -> None:
    """Refuse to listen beyond this machine while ORDO_SECRET_KEY is the development default.

    The default is published with the source, so whoever reaches the port could sign a token
    for any key id they learn; settings refuse it outside development, but development is the
    default environment. The console is refused alike: it forwards its sign-ins to the API."""
    host = settings.api_host
    if settings.secret_key.get_secret_value() != DEFAULT_SECRET_KEY or is_loopback(host):
        return
    raise CommandError(
        f"{host_setting}: will not listen on {host!r} while ORDO_SECRET_KEY is the development "
        "default, which is published with Ordo's source (anyone reaching the port could sign "
        "tokens): set ORDO_SECRET_KEY to a long random value, for example the output of "
        '`python -c "import secrets; print(secrets.token_urlsafe(48))"`, or listen on '
        "127.0.0.1"
    )


def ensure_port_free(
    host: str, port: int, setting: str, host_setting: str = "ORDO_API_HOST"
) -> None:
    """Fail with one line naming the setting (or flag) at fault: `setting` when something
    already listens on the port, `host_setting` when the host is no address of this
    machine."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror as error:  # a name that resolves to nothing
            raise CommandError(
                f"{host_setting}: cannot listen on {host!r} ({error.strerror}); give an "
                "address of this machine, such as 127.0.0.1, or 0.0.0.0 for all of them"
            ) from None
        except OSError as error:
            if error.errno == errno.EADDRNOTAVAIL:
                raise CommandError(
                    f"{host_setting}: cannot listen on {host!r} ({error.strerror}): it is not an "
                    "address of this machine; give one, such as 127.0.0.1, or 0.0.0.0"
                ) from None
            raise CommandError(
                f"{setting}: cannot listen on {host}:{port} ({error.strerror}); "
                "stop what is using it or choose another port"
            ) from None
