"""An alert's life ends when it is closed: an acknowledged one is closed by whoever closes
it, an open one is acknowledged by them in the same stroke, and a closed one cannot be closed
again. How long it has been quiet counts from the later of its last firing and its
acknowledgement."""

from __future__ import annotations

import pytest

from engine.domain.errors import IllegalTransition
from engine.domain.operations import AlertStatus
from tests.support import builders as b


def test_an_acknowledged_alert_is_closed_keeping_who_acknowledged_it() -> None:
    alert = b.an_alert(status=AlertStatus.ACKNOWLEDGED, acknowledged_by="sam")

    was = alert.close("kim", b.at(90))

    assert was is AlertStatus.ACKNOWLEDGED
    assert (alert.status, alert.closed_by, alert.closed_at) == (
        AlertStatus.CLOSED, "kim", b.at(90),
    )  # fmt: skip
    assert (alert.acknowledged_by, alert.acknowledged_at) == ("sam", b.at(25))


def test_closing_an_open_alert_acknowledges_it_by_the_same_person_at_the_same_moment() -> None:
    alert = b.an_alert(status=AlertStatus.OPEN, acknowledged_by="", acknowledged_at=None)

    was = alert.close("kim", b.at(90))

    assert was is AlertStatus.OPEN
    assert alert.status is AlertStatus.CLOSED
    assert (alert.acknowledged_by, alert.acknowledged_at) == ("kim", b.at(90))
    assert (alert.closed_by, alert.closed_at) == ("kim", b.at(90))


def test_a_closed_alert_cannot_be_closed_again_and_the_refusal_names_its_state() -> None:
    alert = b.an_alert()
    alert.close("kim", b.at(90))

    with pytest.raises(
        IllegalTransition, match="'closed' to 'closed'; it was closed already by kim"
    ):
        alert.close("sam", b.at(91))
    assert (alert.closed_by, alert.closed_at) == ("kim", b.at(90))


def test_an_alert_is_quiet_since_the_later_of_its_last_firing_and_its_acknowledgement() -> None:
    assert b.an_alert(last_seen_at=b.at(20), acknowledged_at=b.at(25)).quiet_since() == b.at(25)
    assert b.an_alert(last_seen_at=b.at(30), acknowledged_at=b.at(25)).quiet_since() == b.at(30)
    never_seen = b.an_alert(last_seen_at=None, acknowledged_at=None, status=AlertStatus.OPEN)
    assert never_seen.quiet_since() == b.at(10)
