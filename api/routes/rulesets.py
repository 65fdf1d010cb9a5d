"""Rulesets: draft, validate (every diagnostic with line/column), test, diff, publish, roll back."""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CanPublishRulesets, CanReadRulesets, CanWriteRulesets, Services, Uow
from api.schemas.common import problem_responses
from api.schemas.patterns import ID
from api.schemas.rulesets import (
    DiffOut,
    DraftIn,
    RollbackIn,
    ScenarioOut,
    ScenarioRunOut,
    ScenariosIn,
    SourceIn,
    ValidationOut,
    VersionDetail,
    VersionOut,
)
from engine.service_layer import rulesets_service as rulesets

router = APIRouter(prefix="/v1/rulesets", tags=["rulesets"])

VersionPath = Annotated[str, Path(pattern=ID, description="A ruleset version id (rsv_...).")]
NamePath = Annotated[str, Path(min_length=1, max_length=100, description="The ruleset's name.")]


def _runner(services: Services) -> rulesets.ScenarioRunner:
    """Scenarios decide as this deployment does: packing with its box catalogue."""
    return functools.partial(rulesets.scenario_runner, packaging=services.container.packaging)


def _validation(source: str) -> ValidationOut:
    found = rulesets.diagnostics(source)
    errors = sum(1 for d in found if d["severity"] == "error")
    return ValidationOut.model_validate(
        {
            "valid": errors == 0,
            "errors": errors,
            "warnings": len(found) - errors,
            "diagnostics": found,
        }
    )


@router.get("", response_model=list[VersionOut], responses=problem_responses())
def list_versions(
    _: CanReadRulesets,
    uow: Uow,
    name: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[VersionOut]:
    """Every version (or one ruleset's), with author, time and status."""
    with uow:
        rows = (
            uow.rulesets.versions(name) if name else uow.rulesets.list(limit=limit, offset=offset)
        )
        return [VersionOut.of(v) for v in rows]


@router.post("/validate", response_model=ValidationOut, responses=problem_responses())
def validate_source(body: SourceIn, _: CanReadRulesets) -> ValidationOut:
    """Check a text without saving it: every error and warning with line and column."""
    return _validation(body.source)


@router.post(
    "/drafts", response_model=VersionDetail, status_code=201, responses=problem_responses(409)
)
def create_draft(
    body: DraftIn, who: CanWriteRulesets, uow: Uow, services: Services
) -> VersionDetail:
    """Save a text (and its scenarios) as the next version of the ruleset its header names.
    Drafts may contain errors; only publishing requires a clean check.

    A draft sent without scenarios takes those saved with the ruleset's version before it (its
    parent), so a draft of a shipped ruleset is gated by the shipped scenarios when published.
    With `based_on` (the id of the version the editor loaded), the draft is refused with 409,
    and nothing is saved, when a newer version of the ruleset was saved since: the answer
    names it, its author and its time."""
    version, scenarios = rulesets.save_draft(
        uow,
        services.scenarios,
        body.source,
        who.actor,
        scenarios=body.scenarios,
        based_on=body.based_on,
    )
    return VersionDetail.full(version, scenarios)


@router.get(
    "/versions/{version_id}", response_model=VersionDetail, responses=problem_responses(404)
)
def get_version(
    version_id: VersionPath, _: CanReadRulesets, uow: Uow, services: Services
) -> VersionDetail:
    """One version with its source and saved scenarios."""
    with uow:
        version = rulesets.get_version(uow, version_id)
    return VersionDetail.full(version, services.scenarios.get(version_id))


@router.post(
    "/versions/{version_id}/validate",
    response_model=ValidationOut,
    responses=problem_responses(404),
)
def validate_version(version_id: VersionPath, _: CanReadRulesets, uow: Uow) -> ValidationOut:
    """Check a saved version: every error and warning with line and column."""
    with uow:
        source = rulesets.get_version(uow, version_id).source
    return _validation(source)


@router.post(
    "/versions/{version_id}/test", response_model=ScenarioRunOut, responses=problem_responses(404)
)
def run_scenarios(
    version_id: VersionPath, body: ScenariosIn, _: CanWriteRulesets, uow: Uow, services: Services
) -> ScenarioRunOut:
    """Run the version's scenarios (or the ones sent) and report each one. Both formats run:
    rule-level (`ruleset:`, scenarios with `given` facts and `expect: matched/actions`, as
    `ordo rules test` reads them) and pipeline (locations, products, stock, then orders)."""
    with uow:
        source = rulesets.get_version(uow, version_id).source
    scenarios = body.scenarios or services.scenarios.get(version_id)
    results = _runner(services)(source, scenarios)
    passed = sum(1 for r in results if r.passed)
    return ScenarioRunOut(
        passed=passed,
        failed=len(results) - passed,
        results=[ScenarioOut(name=r.name, passed=r.passed, message=r.message) for r in results],
    )


@router.get(
    "/versions/{version_id}/diff/{other_id}",
    response_model=DiffOut,
    responses=problem_responses(404),
)
def diff_versions(
    version_id: VersionPath, other_id: VersionPath, _: CanReadRulesets, uow: Uow
) -> DiffOut:
    """From `version_id` to `other_id`: unified text diff and rules added, removed, changed."""
    with uow:
        old = rulesets.get_version(uow, version_id)
        new = rulesets.get_version(uow, other_id)
        return DiffOut.model_validate(rulesets.diff(old, new))


@router.post(
    "/versions/{version_id}/publish",
    response_model=VersionOut,
    responses=problem_responses(404, 409),
)
def publish(
    version_id: VersionPath,
    body: ScenariosIn,
    who: CanPublishRulesets,
    uow: Uow,
    services: Services,
) -> VersionOut:
    """Make this version live, only if it checks and its scenarios pass (the ones sent, else
    those saved with it, which a draft saved without its own took from its parent). New
    decisions use it at once; decisions already running finish on the version they started
    with."""
    version = rulesets.publish(
        uow,
        services.container.rulesets,
        version_id,
        who.actor,
        runner=_runner(services),
        scenarios=body.scenarios or services.scenarios.get(version_id),
    )
    return VersionOut.of(version)


@router.post("/{name}/rollback", response_model=VersionOut, responses=problem_responses(404, 409))
def rollback(
    name: NamePath, body: RollbackIn, who: CanPublishRulesets, uow: Uow, services: Services
) -> VersionOut:
    """Re-publish an earlier version of the ruleset `name`."""
    return VersionOut.of(
        rulesets.rollback(uow, services.container.rulesets, name, body.to_version, who.actor)
    )
