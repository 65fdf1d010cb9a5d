"""Charts of a run and of a comparison: plotly figures, and one self-contained HTML page.

The page inlines plotly's JavaScript from the installed package (no CDN: reports are opened
offline and attached to tickets) and gives every chart a fixed element id, so the same results
always render to the same bytes. The console shows the same figures: `run_figures` and
`diff_figures` return plotly figures, and `figures_json` their JSON for the API to serve.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

KPI_LABELS = (
    ("orders", "Orders", "{:,}"),
    ("accepted", "Accepted", "{:,}"),
    ("rejected", "Rejected", "{:,}"),
    ("held", "Held", "{:,}"),
    ("fill_rate", "Fill rate", "{:.1%}"),
    ("lines_backordered", "Lines backordered", "{:,}"),
    ("split_rate", "Split rate", "{:.1%}"),
    ("shipments_per_order", "Shipments per order", "{:.3f}"),
    ("distance_km_mean", "Mean distance (km)", "{:,.1f}"),
    ("distance_km_p95", "p95 distance (km)", "{:,.1f}"),
    ("orders_without_distance", "Orders without a known distance", "{:,}"),
    ("shipping_cost", "Estimated shipping cost", "{:,.2f}"),
    ("shipping_cost_per_order", "Shipping cost per shipped order", "{:,.2f}"),
    ("promise_met_rate", "Promise dates met", "{:.1%}"),
    ("capacity_breaches", "Capacity breaches (location-days)", "{:,}"),
    ("failed_reservations", "Failed reservations", "{:,}"),
)
# KPIs of runs with a box catalogue only: shown when a run has them, so the report of a run
# without packaging is the one it always was.
PACKAGING_LABELS = (
    ("parcels_per_shipment", "Parcels per shipment", "{:.3f}"),
    ("box_cost", "Box cost", "{:,.2f}"),
)


def kpi_labels(*kpis: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """(key, label, format) of the KPIs to show for these runs' KPIs side by side: every
    one, and the packaging ones when any of the runs packed (n/a for those that did not)."""
    packed = tuple(row for row in PACKAGING_LABELS if any(row[0] in each for each in kpis))
    return KPI_LABELS + packed


def fmt(value: Any, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def run_figures(summary: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(chart id, figure) for one run's summary."""
    import plotly.graph_objects as go  # lazily: plotly takes a while to import

    kpis = summary["kpis"]
    hits = sorted(summary["rule_hits"].items(), key=lambda item: (-item[1], item[0]))[:30]
    locations = sorted(kpis["shipments_by_location"].items(), key=lambda item: (-item[1], item[0]))[
        :20
    ]
    distance = {float(k): v for k, v in kpis["distance_histogram_km"].items()}
    charts = [
        ("outcomes", "Orders by outcome", _bar(go, kpis["outcomes"])),
        ("distance", "Shipments by distance (km, 50 km buckets)", _bar(go, distance)),
        ("carriers", "Shipments by carrier and service", _bar(go, kpis["shipments_by_carrier"])),
        ("locations", "Top 20 shipping locations", _bar(go, dict(locations))),
        ("rules", "Rule hits (top 30)", _bar(go, dict(reversed(hits)), horizontal=True)),
    ]
    return [(key, _figure(go, title, trace)) for key, title, trace in charts]


def diff_figures(diff: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(chart id, figure) for a comparison of two runs (see `diff.py`)."""
    import plotly.graph_objects as go

    changes = diff["changes"]
    deltas = [
        (label, diff["kpis"]["b"].get(key), diff["kpis"]["a"].get(key))
        for key, label, _ in kpi_labels(diff["kpis"]["a"], diff["kpis"]["b"])
        if isinstance(diff["kpis"]["a"].get(key), int | float)
        and isinstance(diff["kpis"]["b"].get(key), int | float)
    ]
    cost = {float(k): v for k, v in diff["cost_delta_histogram"].items()}
    relative = {label: round(100 * (b - a) / a, 2) if a else 0.0 for label, b, a in deltas}
    charts = [
        ("changes", "Orders whose decision changed, by what changed", _bar(go, changes)),
        ("cost_delta", "Shipping cost change per changed order (50-cent buckets)", _bar(go, cost)),
        ("kpi_delta", "KPI change, B relative to A (%)", _bar(go, relative)),
    ]
    return [(key, _figure(go, title, trace)) for key, title, trace in charts]


def figures_json(figures: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """JSON-safe figures ({"id", "figure"}) for the API and the console's `st.plotly_chart`."""
    return [{"id": key, "figure": figure.to_plotly_json()} for key, figure in figures]


def run_report(summary: Mapping[str, Any]) -> str:
    kpis = summary["kpis"]
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{fmt(kpis.get(key), pattern)}</td></tr>"
        for key, label, pattern in kpi_labels(kpis)
    )
    dataset = summary["dataset"]
    intro = (
        f"Data set <b>{html.escape(str(dataset['name']))}</b> ({dataset['orders']:,} orders), "
        f"rulesets {html.escape(', '.join(f'{k} ({v})' for k, v in summary['rulesets'].items()))}."
    )
    if "packaging" in summary:
        intro += f" Shipments packed with the boxes of {_boxes(summary['packaging'])}."
    title = f"Simulation {summary['run']}"
    return _page(title, intro, f"<table>{rows}</table>", run_figures(summary))


def diff_report(diff: Mapping[str, Any]) -> str:
    a, b = diff["kpis"]["a"], diff["kpis"]["b"]
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{fmt(a.get(key), pattern)}</td>"
        f"<td>{fmt(b.get(key), pattern)}</td></tr>"
        for key, label, pattern in kpi_labels(a, b)
    )
    table = (
        f"<table><tr><th></th><th>A: {html.escape(diff['a'])}</th>"
        f"<th>B: {html.escape(diff['b'])}</th></tr>{rows}</table>"
    )
    intro = (
        f"{diff['changed']:,} of {diff['orders']:,} orders decided differently; shipping cost "
        f"{diff['cost_delta']:+,.2f}, distance {diff['distance_delta_km']:+,.1f} km."
    )
    if "packaging" in diff:
        for side, boxes in diff["packaging"].items():
            packed = f"packed into the boxes of {_boxes(boxes)}" if boxes else "one parcel each"
            intro += f" {side.upper()}: shipments {packed}."
    return _page(f"Comparison {diff['a']} vs {diff['b']}", intro, table, diff_figures(diff))


def _boxes(packaging: Mapping[str, Any]) -> str:
    """A run's box catalogue, as its summary records it, for a page."""
    path, digest = str(packaging["path"]), str(packaging["sha256"])
    return f"<b>{html.escape(path)}</b> (sha256 {html.escape(digest[:12])}…)"


def _bar(go: Any, counts: Mapping[Any, float], horizontal: bool = False) -> Any:
    keys, values = list(counts), list(counts.values())
    if horizontal:
        return go.Bar(y=keys, x=values, orientation="h")
    return go.Bar(x=keys, y=values)


def _figure(go: Any, title: str, trace: Any) -> Any:
    figure = go.Figure(trace)
    # A plain layout rather than a named template: applying a template deep-copies it, which
    # costs about a second per report, more than writing the rest of a small run's results.
    figure.update_layout(
        title=title,
        template="none",
        height=380,
        margin={"t": 50},
        plot_bgcolor="white",
        yaxis={"gridcolor": "#e5e5e5"},
    )
    return figure


def _page(title: str, intro: str, table: str, figures: list[tuple[str, Any]]) -> str:
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    charts = "".join(
        pio.to_html(figure, include_plotlyjs=False, full_html=False, div_id=f"chart-{key}")
        for key, figure in figures
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{intro}</p>{table}{charts}</body></html>\n"
    )


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}"
    "table{border-collapse:collapse;margin:1rem 0}"
    "th,td{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:left}"
    "td{text-align:right;font-variant-numeric:tabular-nums}"
)
