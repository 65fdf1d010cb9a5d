"""Shared by the event integration tests: starting helper processes, reading effects back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from engine.adapters import orm
from engine.adapters.database import make_engine

ROOT = Path(__file__).resolve().parents[3]
PROCS = Path(__file__).with_name("procs.py")


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen(
        [sys.executable, str(PROCS), *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    process = start(*args)
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def effects(database_url: str) -> dict[str, int]:
    """Units of effect stock per order id: 1 means handled exactly once."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(orm.stock.c.sku, orm.stock.c.on_hand).where(
                    orm.stock.c.location_code == "EFFECT"
                )
            ).all()
    finally:
        engine.dispose()
    return {sku: int(on_hand) for sku, on_hand in rows}


def outbox_rows(database_url: str) -> list[tuple[int, str, bool]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(orm.outbox.c.id, orm.outbox.c.name, orm.outbox.c.published_at).order_by(
                    orm.outbox.c.id
                )
            ).all()
    finally:
        engine.dispose()
    return [(int(i), str(name), published is not None) for i, name, published in rows]
