"""Dead letters as the API shows them: events a worker kept failing on, parked for a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from api.schemas.common import Out


class DeadLetterOut(Out):
    id: str = Field(description="The dead letter's id: what redrive takes.", examples=["17"])
    event_id: str = Field(description="The event's own id (its outbox row), kept on redrive.")
    name: str = Field(examples=["order.received"])
    payload: dict[str, Any]
    partition_key: str
    error: str = Field(description="The last failure, as the handler reported it.")
    attempts: int = Field(description="How many times it was delivered before it was parked.")
    failed_at: datetime
    consumer: str = Field(description="The worker that gave up on it.")

    @classmethod
    def of(cls, letter: Any) -> DeadLetterOut:
        return cls(
            id=letter.id,
            event_id=letter.event_id,
            name=letter.name,
            payload=dict(letter.payload),
            partition_key=letter.partition_key,
            error=letter.error,
            attempts=letter.attempts,
            failed_at=letter.failed_at,
            consumer=letter.consumer,
        )
