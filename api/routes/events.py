"""Dead letters (admins): events the workers kept failing on, and sending one round again.

Reads and redrives go through the event bus the container was built with (in-process, or
Redis Streams), whose interface is `engine.adapters.bus.base.EventBus`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import CanManageEvents, Services
from api.schemas.common import problem_responses
from api.schemas.events import DeadLetterOut
from api.schemas.patterns import ID
from engine.domain.errors import NotFound
from engine.service_layer import audit

router = APIRouter(prefix="/v1/events", tags=["events"])

LetterPath = Annotated[
    str, Path(pattern=ID, description="A dead letter's id, as the list shows it.")
]
# Look this far back for the letter being redriven, to audit what it was.
_LOOKUP = 1_000


def _letters(services: Services, limit: int) -> list[Any]:
    return list(services.container.event_bus.dead_letters(limit))


@router.get(
    "/dead-letters",
    response_model=list[DeadLetterOut],
    responses=problem_responses(),
    summary="Dead letters",
)
def dead_letters(
    _: CanManageEvents,
    services: Services,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeadLetterOut]:
    """Events a worker failed on too many times, newest first, with the last error: fix the
    cause, then redrive them."""
    return [DeadLetterOut.of(letter) for letter in _letters(services, limit)]


@router.post(
    "/dead-letters/{letter_id}/redrive",
    response_model=DeadLetterOut,
    responses=problem_responses(404),
    summary="Redrive a dead letter",
)
def redrive(letter_id: LetterPath, who: CanManageEvents, services: Services) -> DeadLetterOut:
    """Publish the event again with its own event id (handlers that had already succeeded
    skip it) and remove it from the dead letters; answers with the letter as it was."""
    letter = next((d for d in _letters(services, _LOOKUP) if d.id == letter_id), None)
    if letter is None:
        raise NotFound("dead letter", letter_id)
    # Audited before the act: the bus is not the audit's database, so the two cannot commit
    # together, and an entry that fails to write must stop the redrive rather than leave an
    # event republished that the trail never mentions. A redrive that then does not happen
    # says so in an entry of its own.
    before = {"name": letter.name, "event_id": letter.event_id, "error": letter.error[:500]}

    def audited(action: str, after: dict[str, Any]) -> None:
        uow_factory = services.container.uow_factory
        audit.append(uow_factory, who.actor, action, "dead_letter", letter_id, before, after)

    audited("event.redrive", {"redriven": True})
    try:
        redriven = services.container.event_bus.redrive(letter_id)
    except Exception as error:
        audited("event.redrive_failed", {"error": repr(error)[:500]})
        raise
    if not redriven:
        # Another request redrove it between the look-up and now.
        audited("event.redrive_failed", {"error": "no such dead letter"})
        raise NotFound("dead letter", letter_id)
    return DeadLetterOut.of(letter)
