"""Helpdesk tickets as the API takes and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from api.schemas.common import Out, Strict
from engine.domain.operations import Ticket


class TicketIn(Strict):
    """A ticket about an order, in the words of the person opening it."""

    subject: str = Field(
        min_length=1,
        max_length=200,
        description="The ticket's subject, one line.",
        examples=["Parcel reported damaged on arrival"],
    )
    body: str = Field(
        min_length=1,
        max_length=20_000,
        description="What the ticket is about. Ordo adds a footer naming the order (its ids, "
        "its status and who opened the ticket).",
        examples=["The customer called: the box arrived crushed and one pair is scuffed."],
    )

    @field_validator("subject", "body")
    @classmethod
    def _says_something(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank_text", "must say something, not only spaces")
        return value


class TicketOut(Out):
    id: str = Field(description="Ordo's id for the ticket.", examples=["tkt_4f9a2b7c1d3e5f60"])
    system: str = Field(
        description="The ticketing system it was opened in (ORDO_TICKETING).",
        examples=["zendesk"],
    )
    external_ticket_id: str = Field(
        description="The ticket's id in that system.", examples=["35436"]
    )
    entity: str = Field(description="What it is about: order or alert.", examples=["order"])
    entity_id: str = Field(examples=["ord_2c9f0e1a7b3d4e5f"])
    subject: str = Field(examples=["Parcel reported damaged on arrival"])
    created_at: datetime
    created_by: str = Field(
        description="Who opened it: the API key's actor, or system for an alert's ticket.",
        examples=["support:desk-7"],
    )
    status: str = Field(
        description="Its status as the helpdesk last reported it (its webhook, "
        "POST /v1/ticketing/{connector}/events): new, open, pending, hold, solved or closed; "
        "unknown until the helpdesk reports one.",
        examples=["pending"],
    )
    updated_at: datetime | None = Field(
        description="The helpdesk's time of that status; null until it reports one."
    )
    comment_author: str = Field(
        description="Who wrote the ticket's latest public comment, as the helpdesk names "
        "them; empty until a comment is reported.",
        examples=["Dana (Support)"],
    )
    comment_excerpt: str = Field(
        description="The start of that comment (at most 500 characters).",
        examples=["We have sent a replacement pair; the tracking number follows."],
    )

    @classmethod
    def of(cls, t: Ticket) -> TicketOut:
        return cls(
            id=t.id,
            system=t.system,
            external_ticket_id=t.external_ticket_id,
            entity=t.entity,
            entity_id=t.entity_id,
            subject=t.subject,
            created_at=t.created_at,
            created_by=t.created_by,
            status=str(t.status),
            updated_at=t.updated_at,
            comment_author=t.comment_author,
            comment_excerpt=t.comment_excerpt,
        )


class TicketEventOut(Out):
    """What Ordo made of one delivery of a helpdesk's webhook."""

    outcome: Literal["kept", "stale", "unknown"] = Field(
        description="kept: the ticket now shows what the delivery said. stale: the ticket "
        "already keeps a report as new or newer (webhooks arrive out of order), so nothing "
        "changed. unknown: no ticket Ordo opened has this id; the helpdesk's other tickets "
        "are ignored."
    )
    ticket: TicketOut | None = Field(description="Ordo's ticket; null when unknown.")
