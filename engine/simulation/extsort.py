"""Sort more records than fit in memory: sorted runs spilled to JSON Lines, then a k-way merge.

The importer uses this twice (group an order's lines, then put orders in time order), so the
memory an import needs is bounded by `chunk` records whatever the size of the history. When
everything fits in one run nothing touches the disk.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

Record = dict[str, Any]


def external_sort(
    records: Iterable[Record],
    key: Callable[[Record], Any],
    workdir: Path,
    chunk: int = 200_000,
) -> Iterator[Record]:
    """Yield `records` sorted by `key` (stable), holding at most `chunk` of them at a time."""
    runs: list[Path] = []
    buffer: list[Record] = []
    for record in records:
        buffer.append(record)
        if len(buffer) >= chunk:
            runs.append(_spill(buffer, key, workdir, len(runs)))
            buffer = []
    if not runs:
        buffer.sort(key=key)
        yield from buffer
        return
    if buffer:
        runs.append(_spill(buffer, key, workdir, len(runs)))
    streams = [_read_run(path) for path in runs]
    try:
        # heapq.merge keeps equal keys in run order, and runs are in input order: stable.
        yield from heapq.merge(*streams, key=key)
    finally:
        for path in runs:
            path.unlink(missing_ok=True)


def _spill(buffer: list[Record], key: Callable[[Record], Any], workdir: Path, index: int) -> Path:
    buffer.sort(key=key)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"run-{id(buffer):x}-{index:05d}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for record in buffer:
            handle.write(json.dumps(record, separators=(",", ":")))
            handle.write("\n")
    return path


def _read_run(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as handle:
        for text in handle:
            yield json.loads(text)
