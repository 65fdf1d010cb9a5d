"""Rulesets: the list by kind with the live version, and for one ruleset an editor whose
diagnostics appear at their line and column on save, its scenarios, a side-by-side diff
against the live version, publishing (refused with the API's reason), history and roll back.

Every save is a new draft version on the server, so nothing an analyst types is lost and the
diff, scenarios and publish tabs always work on a saved version.

Each part runs in its own `section`: a failed call (the list, the versions, a diff, a
scenario run, a publish) is shown in that part's place, and the rest of the page, the editor
with the text being edited above all, still renders.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from admin_ui.client import ApiError, OrdoClient
from admin_ui.models import Principal, RulesetVersion, Validation, VersionDetail
from admin_ui.roles import may
from admin_ui.session import flash, section
from admin_ui.texts import annotate, describe, side_by_side, when

NEW = "(new ruleset)"
_SELECTED = "rs_selected"
TEMPLATE = """sourcing ruleset my_rules on order.received policy best_score

rule "Closer locations score higher"
  when true
  then prefer distance(order.ship_to, location) < 500 km weight 5
"""


def _state(name: str, what: str) -> str:
    """Session keys per ruleset, so switching rulesets never mixes two editors."""
    return f"rs::{name}::{what}"


def _live(versions: list[RulesetVersion]) -> RulesetVersion | None:
    return next((v for v in versions if v["status"] == "published"), None)


def _overview(versions: list[RulesetVersion]) -> list[dict[str, Any]]:
    by_name: dict[str, list[RulesetVersion]] = {}
    for version in versions:
        by_name.setdefault(version["name"], []).append(version)
    rows = []
    for name, group in by_name.items():
        live = _live(group)
        latest = max(group, key=lambda v: v["version"])
        rows.append(
            {
                "kind": latest["kind"],
                "ruleset": name,
                "live version": live["version"] if live else None,
                "live since": when(live["published_at"]) if live else "not live",
                "latest version": latest["version"],
                "latest by": latest["author"],
                "latest at": when(latest["created_at"]),
            }
        )
    return sorted(rows, key=lambda r: (r["kind"], r["ruleset"]))


def render(client: OrdoClient, who: Principal) -> None:
    st.title("Rulesets")
    rows: list[dict[str, Any]] = []
    with section("The rulesets"):
        rows = _overview(client.list_rulesets())
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")
        else:
            st.info("No rulesets yet: write one below and save it as a draft.")
    names = [row["ruleset"] for row in rows]
    # The ruleset open before keeps its place when the list could not be read this time, so
    # a failed list does not take the editor (and the text being edited) away with it.
    chosen = st.session_state.get(_SELECTED)
    if chosen is not None and chosen != NEW and chosen not in names:
        names.append(chosen)
    options = [*names, NEW] if may(who["role"], "write_rules") else names
    if not options:
        return
    default = names.index("routing") if "routing" in names else 0
    name = st.selectbox("Ruleset", options, index=default, key=_SELECTED)
    if name == NEW:
        with section("The editor"):
            _editor(client, who, NEW, [])
        return
    versions: list[RulesetVersion] | None = None  # None: they could not be read
    with section(f"The versions of {name}"):
        versions = sorted(client.list_rulesets(name), key=lambda v: v["version"], reverse=True)
    editor, scenarios, compare, publish, history = st.tabs(
        ["Editor", "Scenarios", "Compare with live", "Publish", "History"],
        key=_state(name, "tab"),  # keyed, so the open tab survives reruns
    )
    with editor, section("The editor"):
        _editor(client, who, name, versions)
    if versions is None:
        for tab in (scenarios, compare, publish, history):
            tab.info(f"Shown again once the versions of {name} can be read.")
        return
    with scenarios, section("The scenarios"):
        _scenarios(client, who, name, versions)
    with compare, section("The diff"):
        _compare(client, name, versions)
    with publish, section("Publishing"):
        _publish(client, who, name, versions)
    with history, section("History"):
        _history(client, who, name, versions)


# --- editing -----------------------------------------------------------------------------


def _working_version(name: str, versions: list[RulesetVersion]) -> RulesetVersion | None:
    """The draft this session saved last, else the newest version."""
    saved = st.session_state.get(_state(name, "draft"))
    found = next((v for v in versions if v["id"] == saved), None)
    return found or (versions[0] if versions else None)


def _editor(
    client: OrdoClient, who: Principal, name: str, versions: list[RulesetVersion] | None
) -> None:
    """The text of `name` and its actions; `versions` None when they could not be read, in
    which case only a text this session already holds is shown. A fresh one is not started
    from the template: the editor keeps its text for the session, so the template would
    stand in for the ruleset's own rules even after its versions can be read again."""
    source_key = _state(name, "source")
    # The version the text in the editor was loaded from (or last saved as): sent with a
    # save, so the API refuses it if someone saved a newer version meanwhile.
    based_key = _state(name, "based_on")
    stale_key = _state(name, "stale")
    if versions is None and source_key not in st.session_state:
        st.info(f"The rules of {name} are shown once its versions can be read.")
        return
    start = _working_version(name, versions or [])
    if source_key not in st.session_state:
        st.session_state[source_key] = (
            client.get_version(start["id"])["source"] if start else TEMPLATE
        )
        st.session_state[based_key] = start["id"] if start else None
    if start is not None:
        st.caption(
            f"Editing from version {start['version']} ({start['status']}, by {start['author']}, "
            f"{when(start['created_at'])}). Saving makes a new draft version; the live version "
            "changes only when you publish."
        )
    edited = _state(name, "edited")
    st.text_area(
        "Rules",
        key=source_key,
        height=420,
        help="Press Ctrl+Enter (or click outside) to check the text; Save draft keeps it.",
        on_change=lambda: st.session_state.__setitem__(edited, True),
    )
    writable = may(who["role"], "write_rules")
    save, check = st.columns(2)
    if save.button("Save draft", type="primary", disabled=not writable, key=_state(name, "save")):
        scenarios = st.session_state.get(_state(name, "scenarios")) or None
        try:
            draft = client.save_draft(
                st.session_state[source_key], scenarios, st.session_state.get(based_key)
            )
        except ApiError as error:
            if error.status != 409 or error.still_running:
                raise
            # Kept in the state: the reload button below must still exist on the next run.
            st.session_state[stale_key] = error.message
            st.rerun()
        st.session_state.pop(stale_key, None)
        st.session_state[_state(draft["name"], "draft")] = draft["id"]
        if draft["name"] == name:
            st.session_state[based_key] = draft["id"]
        st.session_state[_state(name, "findings")] = (
            client.validate_version(draft["id"]),
            draft["version"],
        )
        if draft["name"] != name:
            flash(
                f"The header names the ruleset '{draft['name']}': saved as its version "
                f"{draft['version']}. Choose it above to continue."
            )
        # Rerun so the tabs below list the new draft at once; the findings are in the state
        # and the saved text needs no separate check.
        st.session_state.pop(edited, None)
        st.rerun()
    # A changed text is checked at once (not saved), so errors show while the analyst works.
    if check.button("Check without saving", key=_state(name, "check")) or st.session_state.pop(
        edited, False
    ):
        st.session_state[_state(name, "findings")] = (
            client.validate(st.session_state[source_key]),
            None,
        )
    stale = st.session_state.get(stale_key)
    if stale:
        st.error(f"Not saved: {stale}")
        if st.button("Reload the newest version", key=_state(name, "reload")):
            # The text typed here is replaced: the message asked to re-apply the change.
            for what in ("source", "based_on", "stale", "draft", "findings", "scenarios"):
                st.session_state.pop(_state(name, what), None)
            st.rerun()
    findings = st.session_state.get(_state(name, "findings"))
    if findings is not None:
        _show_findings(findings[0], findings[1], st.session_state[source_key])


def _show_findings(result: Validation, saved_as: int | None, source: str) -> None:
    saved = f"Saved as version {saved_as}. " if saved_as is not None else ""
    if result["errors"] == 0 and result["warnings"] == 0:
        st.success(f"{saved}No problems found.")
        return
    if result["errors"]:
        st.error(
            f"{saved}{result['errors']} error(s) and {result['warnings']} warning(s). "
            "A draft with errors is kept, but cannot be published until they are fixed."
        )
    else:
        st.warning(f"{saved}{result['warnings']} warning(s).")
    for found in sorted(result["diagnostics"], key=lambda d: (d["line"], d["column"])):
        (st.error if found["severity"] == "error" else st.warning)(describe(found))
    st.code(annotate(source, result["diagnostics"]), language=None)


# --- scenarios ---------------------------------------------------------------------------


def _scenarios(
    client: OrdoClient, who: Principal, name: str, versions: list[RulesetVersion]
) -> None:
    working = _working_version(name, versions)
    if working is None:
        return
    key = _state(name, "scenarios")
    detail: VersionDetail | None = None
    if key not in st.session_state:
        detail = client.get_version(working["id"])
        st.session_state[key] = detail["scenarios"] or ""
    st.write(
        f"Scenarios for version {working['version']}: given these facts (rule-level, as "
        "`ordo rules test` reads them) or this order and this stock, expect this decision. "
        "They are saved with the next draft (one saved without scenarios keeps these) and "
        "must pass before it is published."
    )
    st.text_area("Scenarios (YAML)", key=key, height=240)
    if st.button("Run scenarios", disabled=not may(who["role"], "write_rules")):
        run = client.run_scenarios(working["id"], st.session_state[key] or None)
        if not run["results"]:
            st.info("This version has no scenarios to run.")
        elif run["failed"]:
            st.error(f"{run['failed']} of {run['passed'] + run['failed']} scenario(s) failed.")
        else:
            st.success(f"All {run['passed']} scenario(s) passed.")
        st.dataframe(
            [
                {
                    "scenario": r["name"],
                    "result": "passed" if r["passed"] else "FAILED",
                    "why": r["message"],
                }
                for r in run["results"]
            ],
            hide_index=True,
            width="stretch",
        )


# --- compare -----------------------------------------------------------------------------


def _label(version: RulesetVersion) -> str:
    return f"v{version['version']} ({version['status']}, {version['author']})"


def _compare(client: OrdoClient, name: str, versions: list[RulesetVersion]) -> None:
    if len(versions) < 2:
        st.info("There is only one version: nothing to compare yet.")
        return
    labels = {_label(v): v for v in versions}
    live = _live(versions)
    # Keyed by the working draft: see `_publish`.
    working = _working_version(name, versions) or versions[0]
    old_default = _label(live) if live and live["id"] != working["id"] else _label(versions[1])
    left, right = st.columns(2)
    old = labels[
        left.selectbox(
            "From",
            list(labels),
            index=list(labels).index(old_default),
            key=_state(name, f"from::{working['id']}"),
        )
    ]
    new = labels[
        right.selectbox(
            "To",
            list(labels),
            index=list(labels).index(_label(working)),
            key=_state(name, f"to::{working['id']}"),
        )
    ]
    if old["id"] == new["id"]:
        st.info("Choose two different versions.")
        return
    summary = client.diff(old["id"], new["id"])
    parts = [
        f"{title}: {', '.join(summary[key])}"  # type: ignore[literal-required]
        for key, title in (
            ("added", "Rules added"),
            ("removed", "Rules removed"),
            ("changed", "Rules changed"),
        )
        if summary[key]  # type: ignore[literal-required]
    ]
    st.write("; ".join(parts) if parts else "No rule changed (only layout or comments).")
    rows = side_by_side(
        client.get_version(old["id"])["source"], client.get_version(new["id"])["source"]
    )
    st.dataframe(
        [
            {
                f"v{old['version']} line": r.old_number,
                f"v{old['version']}": r.old_text,
                "change": r.change,
                f"v{new['version']} line": r.new_number,
                f"v{new['version']}": r.new_text,
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
        height=min(36 * (len(rows) + 1), 600),
    )


# --- publish, history, roll back ---------------------------------------------------------


def _publish(client: OrdoClient, who: Principal, name: str, versions: list[RulesetVersion]) -> None:
    drafts = [v for v in versions if v["status"] == "draft"]
    live = _live(versions)
    st.write(
        f"Live now: version {live['version']}." if live else "Nothing of this ruleset is live."
    )
    if not drafts:
        st.info("No draft to publish: save one in the editor first.")
        return
    working = _working_version(name, versions)
    # Pickers are keyed by the working draft, so a newly saved draft starts them afresh
    # (a keyed widget otherwise keeps showing the pick made before the save).
    tag = working["id"] if working else ""
    labels = [_label(v) for v in drafts]
    index = next((i for i, v in enumerate(drafts) if working and v["id"] == working["id"]), 0)
    chosen = drafts[
        labels.index(
            st.selectbox("Draft", labels, index=index, key=_state(name, f"publish_pick::{tag}"))
        )
    ]
    confirmed = st.checkbox(
        f"Yes, make version {chosen['version']} live for every new order",
        key=_state(name, f"publish_ok::{tag}"),
    )
    if st.button("Publish", type="primary", disabled=not may(who["role"], "publish_rules")):
        if not confirmed:
            st.warning("Tick the box to confirm first.")
            return
        try:
            done = client.publish(chosen["id"])
        except ApiError as error:
            if error.status not in (409, 422) or error.still_running:
                raise
            st.error(f"Publishing was refused: {error.message}")
            return
        flash(f"{done['name']} version {done['version']} is live.")
        st.rerun()


def _history(client: OrdoClient, who: Principal, name: str, versions: list[RulesetVersion]) -> None:
    st.dataframe(
        [
            {
                "version": v["version"],
                "status": v["status"],
                "author": v["author"],
                "saved": when(v["created_at"]),
                "published": when(v["published_at"]),
                "published by": v["published_by"],
            }
            for v in versions
        ],
        hide_index=True,
        width="stretch",
    )
    live = _live(versions)
    # Rolling back means making a formerly live version live again, newest first; drafts
    # that never went live are published from the Publish tab instead.
    earlier = [v for v in versions if v["status"] == "retired"]
    if not may(who["role"], "publish_rules"):
        return
    st.subheader("Roll back")
    if not earlier:
        st.caption("No earlier live version to roll back to.")
        return
    target = st.selectbox(
        "Make this version live again",
        [v["version"] for v in earlier],
        key=_state(name, f"back::{live['id'] if live else ''}"),
    )
    confirmed = st.checkbox(
        f"Yes, roll {name} back to version {target}",
        key=_state(name, f"back_ok::{live['id'] if live else ''}"),
    )
    if st.button("Roll back"):
        if not confirmed:
            st.warning("Tick the box to confirm first.")
            return
        try:
            done = client.rollback(name, int(target))
        except ApiError as error:
            if error.status not in (409, 422) or error.still_running:
                raise
            st.error(f"Rolling back was refused: {error.message}")
            return
        flash(f"{done['name']} version {done['version']} is live again.")
        st.rerun()
