"""Simulation jobs as the API accepts and shows them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator

from api.schemas.common import IsoDate, Out, Strict
from api.schemas.patterns import DATASET


class SimulationIn(Strict):
    dataset: str = Field(pattern=DATASET, examples=["acme-july"])
    drafts: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Ruleset version ids that replace their namesakes in the 'draft' run; "
        "without any, only the live rulesets run.",
        examples=[["rsv_3f9a1c2b7d4e"]],
    )
    limit: int | None = Field(default=None, ge=1, le=10_000_000)
    workers: int = Field(default=2, ge=0, le=8, description="Processes (0: in the API's thread).")
    date_from: Annotated[
        date | None,
        Field(
            default=None,
            strict=False,
            description="Record only orders created on or after this day (inclusive). Earlier "
            "orders are still replayed, unrecorded, so stock is as it was on the day.",
            examples=["2025-07-08"],
        ),
        IsoDate,
    ] = None
    date_to: Annotated[
        date | None,
        Field(
            default=None,
            strict=False,
            description="Record only orders created on or before this day (inclusive); "
            "not before date_from.",
            examples=["2025-07-14"],
        ),
        IsoDate,
    ] = None

    @field_validator("date_to")
    @classmethod
    def _not_before_date_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("date_from")
        if value is not None and start is not None and value < start:
            raise ValueError(f"must not be before date_from ({start.isoformat()})")
        return value


class DatasetOut(Out):
    name: str = Field(examples=["acme-july"])
    orders: int
    counts: dict[str, int]


class JobOut(Out):
    id: str = Field(examples=["3f9a1c2b7d4e"])
    status: str = Field(examples=["running"], description="queued, running, succeeded, failed")
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: dict[str, Any] = Field(description="done, total, fraction, rate, eta_seconds, runs")
    error: str | None
