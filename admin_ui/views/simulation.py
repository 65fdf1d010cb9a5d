"""Simulation: replay an imported history through the live rulesets and through the same with
draft versions in place; watch the progress; compare KPIs and charts; list every order decided
differently, each with a link to its two decisions side by side.

The job runs on the API server (`/v1/simulations`); this page only starts, polls and reads it,
so closing the browser does not stop a run.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import streamlit as st

from admin_ui.client import ApiError, OrdoClient
from admin_ui.models import Principal, SimulationJob, SimulationResult
from admin_ui.roles import may
from admin_ui.session import section
from admin_ui.texts import bulleted, when

_JOB = "sim::job"
# Breakdowns every run's KPIs carry, charted run against run.
BREAKDOWNS = (
    ("outcomes", "Orders by outcome"),
    ("distance_histogram_km", "Shipments by distance (km buckets)"),
    ("shipments_by_carrier", "Shipments by carrier and service"),
    ("shipments_by_location", "Shipments by location (top 20)"),
)
POLL_SECONDS = 1.0

# (KPI key, label, format, whether higher is better): the cards, in this order.
CARDS = (
    ("fill_rate", "Fill rate", "{:.1%}", True),
    ("split_rate", "Split rate", "{:.1%}", False),
    ("shipping_cost", "Shipping cost", "{:,.2f}", False),
    ("distance_km_mean", "Mean distance (km)", "{:,.1f}", False),
    ("promise_met_rate", "Promise dates met", "{:.1%}", True),
    ("lines_backordered", "Lines backordered", "{:,}", False),
)


def card_values(
    kpis: dict[str, Any], baseline: dict[str, Any] | None
) -> list[tuple[str, str, str | None, str]]:
    """(label, value, delta against the baseline, delta colour) per KPI card."""
    cards: list[tuple[str, str, str | None, str]] = []
    for key, label, pattern, higher_is_better in CARDS:
        value = kpis.get(key)
        shown = "n/a" if value is None else pattern.format(value)
        delta = None
        if baseline is not None and isinstance(value, int | float):
            before = baseline.get(key)
            if isinstance(before, int | float):
                change = value - before
                delta = ("+" if change >= 0 else "-") + pattern.format(abs(change))
                if pattern.format(abs(change)) == pattern.format(0):
                    # No change worth an arrow: say so, in grey.
                    cards.append((label, shown, "no change", "off"))
                    continue
        cards.append((label, shown, delta, "normal" if higher_is_better else "inverse"))
    return cards


def distance_note(kpis: dict[str, Any]) -> str | None:
    """What the mean distance leaves out, when it leaves anything out."""
    unknown = kpis.get("orders_without_distance") or 0
    if not unknown:
        return None
    orders = "order" if unknown == 1 else "orders"
    return (
        f"{unknown:,} shipped {orders} had no known distance (a ship-to or location without "
        "coordinates): left out of the mean distance, and their shipping cost was quoted as "
        "if 0 km."
    )


def render(client: OrdoClient, who: Principal) -> None:
    st.title("Simulation")
    asked = st.query_params.get("job")
    if asked and st.session_state.get(_JOB) != asked:
        st.session_state[_JOB] = asked
    # Starting a run, the earlier runs and the open run read different routes: each failure
    # is shown in its part, and the others stay usable.
    if may(who["role"], "write_rules"):
        with section("Start a simulation"):
            _start(client)
    with section("Earlier simulations"):
        _pick_earlier(client)
    job_id = st.session_state.get(_JOB)
    if not job_id:
        return
    with section("This simulation"):
        _open(client, job_id)


def _open(client: OrdoClient, job_id: str) -> None:
    job = client.get_simulation(job_id)
    if job["status"] in ("queued", "running"):
        _progress(job)
        time.sleep(POLL_SECONDS)
        st.rerun()
    if job["status"] == "failed":
        st.error(f"The simulation failed: {job['error']}")
        return
    _results(client, job, client.simulation_result(job_id))


def _start(client: OrdoClient) -> None:
    datasets = client.list_datasets()
    if not datasets:
        st.info(
            "No history imported yet. Import one with `ordo import NAME --orders FILE ...` "
            "(see docs/simulation.md); it then appears here."
        )
        return
    drafts = [v for v in client.list_rulesets() if v["status"] == "draft"]
    labels = {
        f"{v['name']} v{v['version']} (by {v['author']}, {when(v['created_at'])})": v
        for v in drafts
    }
    # Drafts saved on the Rulesets page in this session are the natural default.
    mine = {st.session_state.get(f"rs::{v['name']}::draft") for v in drafts}
    default = [label for label, v in labels.items() if v["id"] in mine]
    with st.form("simulate"):
        names = [f"{d['name']} ({d['orders']:,} orders)" for d in datasets]
        dataset = datasets[names.index(st.selectbox("History", names))]["name"]
        chosen = st.multiselect(
            "Draft versions to try (each replaces its live namesake)", list(labels), default
        )
        left, right = st.columns(2)
        limit = int(left.number_input("Replay only the first N orders (0: all)", 0, 10**7, 0))
        workers = int(right.number_input("Processes", 1, 8, 2))
        # Empty: from the first order / to the last. Earlier orders still move stock.
        date_from = _day(left.date_input("Orders from (optional)", value=None))
        date_to = _day(right.date_input("Orders to (optional)", value=None))
        go = st.form_submit_button("Start simulation", type="primary")
    if go:
        try:
            job = client.start_simulation(
                dataset,
                [labels[c]["id"] for c in chosen],
                limit=limit or None,
                workers=workers,
                date_from=date_from,
                date_to=date_to,
            )
        except ApiError as error:
            # A draft that does not compile: its errors one per line, at their line and
            # column, not run together into one paragraph.
            if error.code != "invalid_ruleset" or not error.findings:
                raise
            st.error(bulleted(f"The simulation was not started: {error.detail}", error.findings))
            return
        st.session_state[_JOB] = job["id"]
        st.query_params["job"] = job["id"]


def _day(value: object) -> date | None:
    """`st.date_input` answers a date, None, or (for ranges) a tuple; only a date is kept."""
    return value if isinstance(value, date) else None


def _pick_earlier(client: OrdoClient) -> None:
    jobs = client.list_simulations()
    if not jobs:
        return
    labels = {f"{when(j['created_at'])} · {j['status']} · {j['id']}": j["id"] for j in jobs}
    current = st.session_state.get(_JOB)
    ids = list(labels.values())
    with st.expander("Earlier simulations"):
        picked = st.selectbox(
            "Open", list(labels), index=ids.index(current) if current in ids else 0
        )
        if st.button("Open this simulation"):
            st.session_state[_JOB] = labels[picked]
            st.query_params["job"] = labels[picked]
            st.rerun()


def _progress(job: SimulationJob) -> None:
    progress = job["progress"]
    done, total = int(progress.get("done", 0)), int(progress.get("total", 0))
    rate, eta = progress.get("rate"), progress.get("eta_seconds")
    text = f"{job['status']}: {done:,} of {total:,} orders" if total else f"{job['status']}…"
    if rate:
        text += f", {rate:,.0f} orders/s"
    if eta is not None:
        text += f", about {eta:,.0f} s to go"
    st.progress(float(progress.get("fraction", 0.0)), text=text)


def _results(client: OrdoClient, job: SimulationJob, result: SimulationResult) -> None:
    baseline_name = result["baseline"]
    runs = result["runs"]
    baseline = runs[baseline_name]
    st.success(
        f"Finished {when(job['finished_at'])}: {baseline['kpis'].get('orders', 0):,} orders of "
        f"{baseline['dataset'].get('name', 'the history')} replayed."
    )
    for name, summary in runs.items():
        st.subheader("Live rulesets" if name == baseline_name else f"With the drafts ({name})")
        against = None if name == baseline_name else baseline["kpis"]
        columns = st.columns(len(CARDS))
        for column, (label, value, delta, colour) in zip(
            columns, card_values(summary["kpis"], against), strict=True
        ):
            column.metric(label, value, delta, delta_color=colour)  # type: ignore[arg-type]
        note = distance_note(summary["kpis"])
        if note:
            st.caption(note)
    with section("Charts"):
        _charts(result)
    for variant, diff in result["diffs"].items():
        with section(f"Orders decided differently ({variant})"):
            _diff(client, job, variant, diff, int(baseline["kpis"].get("orders", 0)))


def _charts(result: SimulationResult) -> None:
    import plotly.graph_objects as go  # lazily: plotly is slow to import

    runs = result["runs"]
    names = list(runs)
    rates = go.Figure(
        [
            go.Bar(
                name=name,
                x=["Fill rate", "Split rate", "Promise dates met"],
                y=[
                    runs[name]["kpis"].get(k) or 0
                    for k in ("fill_rate", "split_rate", "promise_met_rate")
                ],
            )
            for name in names
        ],
        layout={"title": "Rates", "barmode": "group", "yaxis": {"tickformat": ".0%"}},
    )
    costs = go.Figure(
        [
            go.Bar(
                name=name,
                x=["Shipping cost", "Mean distance (km)"],
                y=[
                    runs[name]["kpis"].get("shipping_cost") or 0,
                    runs[name]["kpis"].get("distance_km_mean") or 0,
                ],
            )
            for name in names
        ],
        layout={"title": "Cost and distance", "barmode": "group"},
    )
    hits: dict[str, dict[str, int]] = {n: dict(runs[n].get("rule_hits", {})) for n in names}
    rules = sorted(
        {r for h in hits.values() for r in h},
        key=lambda r: -max(h.get(r, 0) for h in hits.values()),
    )[:25]
    rule_chart = go.Figure(
        [
            go.Bar(
                name=n, y=rules[::-1], x=[hits[n].get(r, 0) for r in rules[::-1]], orientation="h"
            )
            for n in names
        ],
        layout={"title": "Rule hits", "barmode": "group", "height": 200 + 24 * len(rules)},
    )
    left, right = st.columns(2)
    left.plotly_chart(rates, key="sim-rates")
    right.plotly_chart(costs, key="sim-costs")
    st.plotly_chart(rule_chart, key="sim-rules")
    with st.expander("More charts (outcomes, distance, carriers, locations)"):
        for key, title in BREAKDOWNS:
            figure = go.Figure(
                [
                    go.Bar(name=n, x=[str(k) for k in series], y=list(series.values()))
                    for n in names
                    if (series := _series(runs[n]["kpis"].get(key)))
                ],
                layout={"title": title, "barmode": "group"},
            )
            st.plotly_chart(figure, key=f"sim-{key}")


def _series(value: Any) -> dict[Any, float]:
    """A KPI breakdown (label -> count) in a stable order: numeric buckets by value."""
    if not isinstance(value, dict):
        return {}
    try:
        return dict(sorted(value.items(), key=lambda item: float(item[0])))
    except ValueError:
        return dict(sorted(value.items(), key=lambda item: -float(item[1]))[:20])


def _diff(
    client: OrdoClient, job: SimulationJob, variant: str, diff: dict[str, Any], result_orders: int
) -> None:
    st.subheader(f"Orders decided differently ({variant} against the live rulesets)")
    changes = ", ".join(f"{kind} {count}" for kind, count in diff.get("changes", {}).items())
    total = diff.get("orders", result_orders)
    st.write(
        f"{diff['changed']:,} of {total:,} orders changed"
        + (f" ({changes})" if changes else "")
        + f"; shipping cost {diff['cost_delta']:+,.2f}, distance "
        f"{diff['distance_delta_km']:+,.1f} km."
    )
    rows = client.changed_orders(job["id"], variant)
    if not rows:
        return
    # Selecting a row opens that order below; the link opens it on its own page.
    picked = st.dataframe(
        [
            {"order": r["order"], "what changed": ", ".join(r["changes"]),
             "outcome": f"{r['outcome_a']} → {r['outcome_b']}",
             "from": f"{', '.join(r['locations_a']) or '-'} → {', '.join(r['locations_b']) or '-'}",
             "shipments": f"{r['shipments_a']} → {r['shipments_b']}",
             "cost change": r["cost_delta"], "distance change (km)": r["distance_km_delta"],
             "decisions": f"/simulation?job={job['id']}&order={r['order']}"}
            for r in rows
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "decisions": st.column_config.LinkColumn("decisions", display_text="open both")
        },
        on_select="rerun",
        selection_mode="single-row",
        key=f"sim-changed-{variant}",
    )  # fmt: skip
    ids = [r["order"] for r in rows]
    rows_picked = list(picked.selection.rows) if picked is not None else []
    asked = ids[rows_picked[0]] if rows_picked else st.query_params.get("order")
    order = st.selectbox(
        "Compare one order's two decisions",
        ids,
        index=ids.index(asked) if asked in ids else 0,
        key=f"sim-order-{variant}-{asked or ''}",
    )
    with section("The two decisions"):  # the table of changed orders stays above
        _decisions(client.simulated_order(job["id"], order)["decisions"])


def _decisions(both: dict[str, dict[str, Any]]) -> None:
    for column, (name, decision) in zip(st.columns(len(both)), both.items(), strict=True):
        with column:
            st.markdown(
                f"**{name}**: {decision.get('outcome')}"
                + (f" ({decision['code']})" if decision.get("code") else "")
            )
            st.write(
                f"{decision.get('allocated', 0)} of {decision.get('units', 0)} units allocated, "
                f"{decision.get('backordered', 0)} backordered; shipping "
                f"{decision.get('shipping_cost', 0):,.2f}; promised {decision.get('promised')}."
            )
            st.dataframe(
                [
                    {"from": s["location"], "carrier": f"{s['carrier']} {s['service']}",
                     "units": s["units"], "rate": s["rate"], "km": s["distance_km"],
                     "promised": s["promised"]}
                    for s in decision.get("shipments", [])
                ],
                hide_index=True,
                width="stretch",
            )  # fmt: skip
