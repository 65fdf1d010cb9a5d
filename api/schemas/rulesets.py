"""Ruleset versions, diagnostics, scenario results and diffs as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import Out, Strict
from api.schemas.patterns import ID
from engine.domain.operations import RulesetStatus, RulesetVersion

EXAMPLE = """validation ruleset checks on order.received policy all

rule "Orders need a postal code"
  when order.ship_to.postal_code == ""
  then reject code "NO_POSTCODE" message "The ship-to address has no postal code"
"""


SCENARIOS = """locations:
  - {code: DAL-01, type: warehouse, postal_code: "75201"}
products:
  - {sku: SHOE-42, price: "59.90"}
stock:
  - {sku: SHOE-42, location: DAL-01, on_hand: 10}
scenarios:
  - name: An order without a postal code is rejected
    order: {ship_to: "", lines: [{sku: SHOE-42, qty: 1}]}
    expect: {status: rejected, reject: NO_POSTCODE}
"""


class DraftIn(Strict):
    source: str = Field(min_length=1, max_length=200_000, examples=[EXAMPLE])
    scenarios: str | None = Field(
        default=None,
        max_length=500_000,
        description="Scenarios (YAML) that must pass before this version may be published: "
        "pipeline scenarios (locations, products, stock, scenarios with orders) or rule-level "
        "ones (`ruleset`, scenarios with `given` facts, the format of `ordo rules test`). "
        "Omitted, the draft takes the scenarios of the ruleset's previous version.",
        examples=[SCENARIOS],
    )
    based_on: str | None = Field(
        default=None,
        pattern=ID,
        description="The id of the version this text was edited from. If a newer version of "
        "the ruleset was saved since, the draft is refused (409) naming it; omitted, the draft "
        "is saved whatever was saved before it.",
        examples=["rsv_0123456789ab"],
    )


class SourceIn(Strict):
    source: str = Field(min_length=1, max_length=200_000, examples=[EXAMPLE])


class ScenariosIn(Strict):
    scenarios: str | None = Field(
        default=None,
        max_length=500_000,
        description="Scenarios (YAML, pipeline or rule-level) to run; the version's own "
        "scenarios when omitted.",
    )


class RollbackIn(Strict):
    to_version: int = Field(ge=1, examples=[3])


class DiagnosticOut(Out):
    code: str
    message: str
    line: int = Field(description="1-based line")
    column: int = Field(description="1-based column, in characters")
    severity: str
    source_line: str = ""
    suggestion: str = ""
    rendered: str = ""


class ValidationOut(Out):
    valid: bool
    errors: int
    warnings: int
    diagnostics: list[DiagnosticOut]


class ScenarioOut(Out):
    name: str
    passed: bool
    message: str = ""


class ScenarioRunOut(Out):
    passed: int
    failed: int
    results: list[ScenarioOut]


class VersionOut(Out):
    id: str
    name: str
    kind: str
    version: int
    status: RulesetStatus
    author: str
    created_at: datetime
    published_at: datetime | None
    published_by: str

    @classmethod
    def of(cls, v: RulesetVersion) -> VersionOut:
        return cls(
            id=v.id,
            name=v.name,
            kind=v.kind,
            version=v.version,
            status=v.status,
            author=v.author,
            created_at=v.created_at,
            published_at=v.published_at,
            published_by=v.published_by,
        )


class VersionDetail(VersionOut):
    source: str
    scenarios: str | None = None

    @classmethod
    def full(cls, v: RulesetVersion, scenarios: str | None = None) -> VersionDetail:
        return cls(**VersionOut.of(v).model_dump(), source=v.source, scenarios=scenarios)


class DiffOut(Out):
    from_version: int
    to_version: int
    unified: str
    added: list[str]
    removed: list[str]
    changed: list[str]
