"""The worker built from the settings writes 855s only when ORDO_EDI_ACKNOWLEDGEMENT_CHANNELS
names a channel: without it, no observer of decided orders is there to read their events."""

from __future__ import annotations

import pytest

from ordo.bootstrap import build_app_container, build_workers
from ordo.settings import load_settings


@pytest.mark.parametrize(("channels", "writes"), [((), False), (("b2b-acme",), True)])
def test_the_worker_writes_855s_only_when_a_channel_asks(
    sqlite_url: str, channels: tuple[str, ...], writes: bool
) -> None:
    settings = load_settings(database_url=sqlite_url, edi_acknowledgement_channels=list(channels))
    with build_app_container(settings) as container:
        [worker] = build_workers(container, name="w1")
        names = {getattr(observer, "name", "") for observer in worker.observers}
    assert ("edi-po-acknowledgements" in names) is writes
