"""The console's only way to Ordo: a typed HTTP client for the API routes it uses.

One method per route, each returning the TypedDicts of `admin_ui.models`. Every failure, an
`application/problem+json` answer or an API that cannot be reached, becomes an `ApiError`
whose message is the sentence a person should read, so pages show it with `st.error` and never
a traceback. The credential (an API key or a bearer token) is sent as `Authorization: Bearer`,
which the API accepts for both.

Every write carries an `Idempotency-Key` naming the person's action (`admin_ui.idempotency`):
sent again after its answer was lost, it is the same request under the same key, and the API
answers with what the first attempt did instead of doing it twice. That answer is returned as
the success it was, and counted in `WriteKeys.replays` so the page can say nothing was done
twice; while the first attempt is still running, the `ApiError` says so (`still_running`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any, cast
from urllib.parse import quote

import httpx

from admin_ui.idempotency import HEADER, REPLAYED, WRITES, Attempt, WriteKeys
from admin_ui.models import (
    Alert,
    Atp,
    ChangedOrder,
    CustomersReport,
    DailyKpis,
    Dataset,
    DeadLetter,
    FulfilmentReport,
    InventoryReport,
    Location,
    OperationsReport,
    Order,
    OrderDetail,
    OutboundDocument,
    Principal,
    Product,
    Return,
    RulesetDiff,
    RulesetVersion,
    SalesReport,
    ScenarioRun,
    Shipment,
    ShortPick,
    SimulatedOrder,
    SimulationJob,
    SimulationResult,
    Stock,
    Ticket,
    Validation,
    VersionDetail,
)
from admin_ui.texts import finding

DEFAULT_TIMEOUT = 30.0
IN_FLIGHT = "idempotency_key_in_flight"  # the API's 409 while the key's first request runs
STILL_RUNNING = "that request is still being processed; try again in a moment"
# Said of a write whose answer did not come: its key makes doing it again safe.
UNKNOWN_OUTCOME = (
    ", so it is not known whether this was done; do it again to find out: "
    "the API does not do it twice"
)


class ApiError(Exception):
    """The API refused a request, or could not be reached; `message` is for people.

    `findings` are the separate things the answer listed (each bad field of a request, each
    diagnostic of a ruleset, with its line and column), one sentence each, so a page can show
    them one per line; `detail` is the answer's own sentence without them.
    """

    def __init__(
        self,
        message: str,
        status: int = 0,
        code: str = "",
        findings: Sequence[str] = (),
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.findings = tuple(findings)
        self.detail = detail or message

    @property
    def still_running(self) -> bool:
        """The API is still doing an earlier attempt of this very request: a 409 that
        refuses nothing, whose answer a retry in a moment gets."""
        return self.code == IN_FLIGHT


def _problem_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def problem_findings(body: dict[str, Any]) -> list[str]:
    """Each finding a problem answer lists: its `errors` (a request's bad fields, as JSON
    paths) and its `diagnostics` (a ruleset's errors and warnings, at a line and column)."""
    found = [
        f"{e.get('path', '?')}: {e.get('message', '')}"
        for e in body.get("errors") or []
        if isinstance(e, dict)
    ]
    found += [finding(d) for d in body.get("diagnostics") or [] if isinstance(d, dict)]
    return found


def problem_message(response: httpx.Response) -> str:
    """The human sentence of an error answer: `detail`, plus each bad field when listed."""
    body = _problem_body(response)
    if body is None:
        text = response.text.strip()[:300]
        return f"the API answered {response.status_code}" + (f": {text}" if text else "")
    detail = str(body.get("detail") or body.get("title") or f"error {response.status_code}")
    fields = [
        f"{e.get('path', '?')}: {e.get('message', '')}"
        for e in body.get("errors") or []
        if isinstance(e, dict)
    ]
    # The detail often already names the first field; list the rest only when they add to it.
    extra = [f for f in fields if f not in detail]
    return detail + (" (" + "; ".join(extra) + ")" if extra else "")


def problem_error(response: httpx.Response) -> ApiError:
    """The `ApiError` for an error answer: its sentence, status, code and findings."""
    body = _problem_body(response) or {}
    if body.get("code") == IN_FLIGHT:
        # The API's sentence quotes the key, which means nothing to the person clicking.
        return ApiError(STILL_RUNNING, response.status_code, IN_FLIGHT)
    return ApiError(
        problem_message(response),
        response.status_code,
        str(body.get("code") or ""),
        problem_findings(body),
        str(body.get("detail") or ""),
    )


def _seg(value: object) -> str:
    """One path segment, escaped: an id typed as `../auth/me` or `X#y` must name that id (and
    be answered "not found"), not another route or the part before the `#`."""
    return quote(str(value), safe="")


def _params(**values: Any) -> dict[str, str]:
    """Query parameters without the unset ones; dates in ISO form."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if value is None or value == "":
            continue
        out[name] = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return out


def _period(first: date, last: date) -> dict[str, str]:
    """A report's period, both days included (`from` is a Python keyword, hence not `_params`'s
    keyword arguments)."""
    return _params(**{"from": first, "to": last})


class OrdoClient:
    """A signed-in connection to one Ordo API; use as a context manager or call `close()`.

    `keys` are the session's write keys; the console passes the same ones to the client of
    every page run, so a retry in a later run reuses its key. Without them the client keeps
    its own, which serve the retries made through it."""

    def __init__(
        self,
        base_url: str,
        credential: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        keys: WriteKeys | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.keys = keys if keys is not None else WriteKeys()
        headers = {"Accept": "application/json"}
        if credential:
            headers["Authorization"] = f"Bearer {credential.strip()}"
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OrdoClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- plumbing ---------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        read_only: bool = False,
    ) -> Any:
        response = self._send(method, path, json=json, params=params, read_only=read_only)
        try:
            return response.json()
        except ValueError:
            raise ApiError(f"the API answered {method} {path} with something not JSON") from None

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        read_only: bool = False,
    ) -> httpx.Response:
        """The API's answer, or `ApiError` saying why there is none (a problem, no API).

        A write goes with its action's key; `read_only` marks a POST that changes nothing
        (checking a text), which needs none: the API would keep every answer for nothing."""
        attempt: Attempt | None = None
        headers: dict[str, str] = {}
        if method in WRITES and not read_only:
            attempt = self.keys.begin(method, path, params, json)
            headers[HEADER] = attempt.key
        try:
            response = self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.TimeoutException:
            lost = UNKNOWN_OUTCOME if attempt is not None else ""
            raise ApiError(f"the API at {self.base_url} did not answer in time{lost}") from None
        except httpx.HTTPError as error:
            raise ApiError(
                f"cannot reach the API at {self.base_url} ({type(error).__name__}); "
                "is Ordo running (ordo up) and ORDO_API_URL right?"
            ) from None
        refusal = problem_error(response) if response.status_code >= 400 else None
        # A 5xx (the API's, or a gateway's that gave up on it) and "still being processed"
        # are no answer to the action: its key stays for the retry.
        unanswered = response.status_code >= 500 or (refusal is not None and refusal.still_running)
        if attempt is not None and not unanswered:
            replayed = response.headers.get(REPLAYED, "").lower() == "true"
            self.keys.answered(attempt, replayed=replayed and refusal is None)
        if refusal is not None:
            raise refusal
        return response

    # --- sign-in ----------------------------------------------------------------------------

    def whoami(self) -> Principal:
        return cast(Principal, self._call("GET", "/v1/auth/me"))

    # --- rulesets ---------------------------------------------------------------------------

    def list_rulesets(self, name: str | None = None) -> list[RulesetVersion]:
        return cast(
            list[RulesetVersion],
            self._call("GET", "/v1/rulesets", params=_params(name=name, limit=500)),
        )

    def validate(self, source: str) -> Validation:
        return cast(
            Validation,
            self._call("POST", "/v1/rulesets/validate", json={"source": source}, read_only=True),
        )

    def save_draft(
        self, source: str, scenarios: str | None = None, based_on: str | None = None
    ) -> VersionDetail:
        """`based_on`: the version the text was edited from; the API refuses the draft (409)
        when a newer version of the ruleset was saved since."""
        body = {"source": source, "scenarios": scenarios or None, "based_on": based_on}
        return cast(VersionDetail, self._call("POST", "/v1/rulesets/drafts", json=body))

    def get_version(self, version_id: str) -> VersionDetail:
        return cast(VersionDetail, self._call("GET", f"/v1/rulesets/versions/{_seg(version_id)}"))

    def validate_version(self, version_id: str) -> Validation:
        return cast(
            Validation,
            self._call(
                "POST", f"/v1/rulesets/versions/{_seg(version_id)}/validate", read_only=True
            ),
        )

    def run_scenarios(self, version_id: str, scenarios: str | None = None) -> ScenarioRun:
        return cast(
            ScenarioRun,
            self._call(
                "POST",
                f"/v1/rulesets/versions/{_seg(version_id)}/test",
                json={"scenarios": scenarios or None},
                read_only=True,
            ),
        )

    def diff(self, from_id: str, to_id: str) -> RulesetDiff:
        return cast(
            RulesetDiff,
            self._call("GET", f"/v1/rulesets/versions/{_seg(from_id)}/diff/{_seg(to_id)}"),
        )

    def publish(self, version_id: str) -> RulesetVersion:
        return cast(
            RulesetVersion,
            self._call("POST", f"/v1/rulesets/versions/{_seg(version_id)}/publish", json={}),
        )

    def rollback(self, name: str, to_version: int) -> RulesetVersion:
        return cast(
            RulesetVersion,
            self._call(
                "POST", f"/v1/rulesets/{_seg(name)}/rollback", json={"to_version": to_version}
            ),
        )

    # --- orders -----------------------------------------------------------------------------

    def search_orders(
        self,
        *,
        channel: str | None = None,
        channel_order_id: str | None = None,
        customer_id: str | None = None,
        email: str | None = None,
        sku: str | None = None,
        status: str | None = None,
        line_status: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        limit: int = 50,
    ) -> list[Order]:
        """`line_status`: orders with a line in that status ("backordered": a line waiting for
        stock, the order wholly backordered or on its way in part)."""
        params = _params(
            channel=channel,
            channel_order_id=channel_order_id,
            customer_id=customer_id,
            email=email,
            sku=sku,
            status=status,
            line_status=line_status,
            created_from=created_from,
            created_to=created_to,
            limit=limit,
        )
        return cast(list[Order], self._call("GET", "/v1/orders", params=params))

    def get_order(self, order_id: str) -> OrderDetail:
        return cast(OrderDetail, self._call("GET", f"/v1/orders/{_seg(order_id)}"))

    def cancel_order(self, order_id: str, reason: str) -> Order:
        return cast(
            Order,
            self._call("POST", f"/v1/orders/{_seg(order_id)}/cancel", json={"reason": reason}),
        )

    def cancel_backordered(
        self, order_id: str, reason: str, lines: dict[str, int] | None = None
    ) -> Order:
        """Cancel units of the backordered lines of an order on its way: `lines` maps line ids
        to units; without it the API cancels every unit that waits for stock."""
        body: dict[str, Any] = {"reason": reason}
        if lines is not None:
            body["lines"] = lines
        return cast(
            Order,
            self._call("POST", f"/v1/orders/{_seg(order_id)}/cancel-backordered", json=body),
        )

    def modify_quantities(self, order_id: str, quantities: dict[str, int]) -> Order:
        return cast(
            Order,
            self._call(
                "POST", f"/v1/orders/{_seg(order_id)}/modify", json={"quantities": quantities}
            ),
        )

    def change_address(self, order_id: str, ship_to: dict[str, str]) -> Order:
        return cast(
            Order,
            self._call("POST", f"/v1/orders/{_seg(order_id)}/modify", json={"ship_to": ship_to}),
        )

    def change_lines(self, order_id: str, add: list[dict[str, Any]], remove: list[str]) -> Order:
        """Add lines (`{"sku", "quantity"}`, the catalogue price) and remove lines by id."""
        body = {"add_lines": add, "remove_lines": remove}
        return cast(Order, self._call("POST", f"/v1/orders/{_seg(order_id)}/modify", json=body))

    def change_fulfilment(self, order_id: str, fulfilment: str, store: str | None) -> Order:
        """Ship the order (`ship`) or have it collected at `store` (`pickup`)."""
        body = {"fulfilment": fulfilment, **({"pickup_location": store} if store else {})}
        return cast(Order, self._call("POST", f"/v1/orders/{_seg(order_id)}/modify", json=body))

    def release_hold(self, order_id: str) -> Order:
        return cast(Order, self._call("POST", f"/v1/orders/{_seg(order_id)}/release-hold"))

    def open_ticket(self, order_id: str, subject: str, body: str) -> Ticket:
        """Open a helpdesk ticket about the order; the API adds a footer naming the order, and
        its detail lists the ticket under `tickets` from then on."""
        path = f"/v1/orders/{_seg(order_id)}/tickets"
        return cast(Ticket, self._call("POST", path, json={"subject": subject, "body": body}))

    # --- shipments --------------------------------------------------------------------------

    def list_shipments(
        self,
        location: str | None = None,
        status: str | None = None,
        limit: int = 500,
        tracking_number: str | None = None,
    ) -> list[Shipment]:
        """Shipments the caller may see (a warehouse key: its own locations'), oldest first:
        the API filters by location, status and tracking number (the shipment's own or one
        of its parcels') before it pages."""
        params = _params(
            location=location, status=status, limit=limit, tracking_number=tracking_number
        )
        return cast(list[Shipment], self._call("GET", "/v1/shipments", params=params))

    def get_shipment(self, shipment_id: str) -> Shipment:
        return cast(Shipment, self._call("GET", f"/v1/shipments/{_seg(shipment_id)}"))

    def update_shipment_status(
        self, shipment_id: str, status: str, tracking_number: str = ""
    ) -> Shipment:
        """Report the shipment `picked`, `packed`, `shipped` or `delivered`; `tracking_number`
        (with `shipped`): the carrier's, which must be the label's once a label is made."""
        body = {"status": status, "tracking_number": tracking_number}
        path = f"/v1/shipments/{_seg(shipment_id)}/status"
        return cast(Shipment, self._call("POST", path, json=body))

    def add_tracking(self, shipment_id: str, scan: dict[str, Any]) -> Shipment:
        """Add a carrier's scan (`at`, `code`, `description`, `location`, and `tracking_number`
        naming the parcel it is of, "" for the whole shipment); the shipment, as it now stands."""
        path = f"/v1/shipments/{_seg(shipment_id)}/tracking"
        return cast(Shipment, self._call("POST", path, json=scan))

    def report_short_pick(
        self, shipment_id: str, lines: list[dict[str, Any]], reason: str
    ) -> ShortPick:
        """Report units the location cannot find: `lines` as the API takes them
        (`order_line_id` or `sku`, and `missing`); they are sourced again elsewhere at once."""
        path = f"/v1/shipments/{_seg(shipment_id)}/short"
        return cast(ShortPick, self._call("POST", path, json={"lines": lines, "reason": reason}))

    # --- shipping labels --------------------------------------------------------------------

    def make_label(self, shipment_id: str, format: str) -> Shipment:
        """Print the shipment's label ("pdf" or "zpl"); the shipment, with its tracking number."""
        path = f"/v1/shipments/{_seg(shipment_id)}/label"
        return cast(Shipment, self._call("POST", path, json={"format": format}))

    def shipment_label(self, shipment_id: str) -> bytes:
        """The label made for the shipment, as printed (a PDF, or ZPL text)."""
        return self._send("GET", f"/v1/shipments/{_seg(shipment_id)}/label").content

    # --- returns ----------------------------------------------------------------------------

    def order_returns(self, order_id: str) -> list[Return]:
        """Every return of one order, oldest first."""
        return cast(list[Return], self._call("GET", f"/v1/orders/{_seg(order_id)}/returns"))

    def list_returns(
        self,
        status: str | None = None,
        rma: str | None = None,
        location: str | None = None,
        limit: int = 500,
        offset: int = 0,
    ) -> list[Return]:
        """Returns the caller may see, oldest first: the API filters before it pages.
        `location`: only those going back to it or received there (a warehouse key: one of
        its own; not for customer keys)."""
        params = _params(
            status=status, rma=rma, location=location, limit=limit, offset=offset or None
        )
        return cast(list[Return], self._call("GET", "/v1/returns", params=params))

    def get_return(self, return_id: str) -> Return:
        """One return, read without its order (which a warehouse key may not read)."""
        return cast(Return, self._call("GET", f"/v1/returns/{_seg(return_id)}"))

    def request_return(self, order_id: str, lines: list[dict[str, Any]]) -> Return:
        """Open a return: `lines` as the API takes them (`order_line_id`, `quantity`,
        `reason`, and `restock` only for support and admins)."""
        path = f"/v1/orders/{_seg(order_id)}/returns"
        return cast(Return, self._call("POST", path, json={"lines": lines}))

    def authorise_return(self, return_id: str, location_code: str | None = None) -> Return:
        """Issue the return's RMA; `location_code`: where the parcel goes back to."""
        body = {"location_code": location_code} if location_code else None
        path = f"/v1/returns/{_seg(return_id)}/authorise"
        return cast(Return, self._call("POST", path, json=body))

    def receive_return(
        self, return_id: str, location_code: str, not_restocked: list[str] | None = None
    ) -> Return:
        """Book the parcel in at `location_code`; `not_restocked`: line ids found unfit to
        sell again, which stay off hand whatever the request said."""
        body = {"location_code": location_code, "not_restocked": not_restocked or []}
        return cast(Return, self._call("POST", f"/v1/returns/{_seg(return_id)}/receive", json=body))

    def refund_return(self, return_id: str, amount: str | None = None) -> Return:
        """Refund the lines' worth, or `amount` ("15.00") when less is refunded."""
        body = {} if amount is None else {"amount": amount}
        return cast(Return, self._call("POST", f"/v1/returns/{_seg(return_id)}/refund", json=body))

    def reject_return(self, return_id: str, reason: str) -> Return:
        path = f"/v1/returns/{_seg(return_id)}/reject"
        return cast(Return, self._call("POST", path, json={"reason": reason}))

    def make_return_label(
        self, return_id: str, format: str, location_code: str | None = None
    ) -> Return:
        """Print an authorised return's label ("pdf" or "zpl"); `location_code` (support and
        admins only) is where the parcel goes back to, and becomes the return's."""
        body: dict[str, Any] = {"format": format}
        if location_code:
            body["location_code"] = location_code
        path = f"/v1/returns/{_seg(return_id)}/label"
        return cast(Return, self._call("POST", path, json=body))

    def return_label(self, return_id: str) -> bytes:
        """The return's label as printed (a PDF, or ZPL text)."""
        return self._send("GET", f"/v1/returns/{_seg(return_id)}/label").content

    # --- inventory and catalogue ------------------------------------------------------------

    def stock_for_sku(self, sku: str) -> list[Stock]:
        return cast(list[Stock], self._call("GET", f"/v1/inventory/skus/{_seg(sku)}"))

    def stock_at_location(self, code: str) -> list[Stock]:
        return cast(list[Stock], self._call("GET", f"/v1/inventory/locations/{_seg(code)}"))

    def atp(self, sku: str, channel: str | None = None) -> Atp:
        return cast(
            Atp,
            self._call("GET", f"/v1/inventory/atp/{_seg(sku)}", params=_params(channel=channel)),
        )

    def transfer(
        self, sku: str, from_location: str, to_location: str, quantity: int, expected_on: date
    ) -> Stock:
        body = {
            "sku": sku,
            "from_location": from_location,
            "to_location": to_location,
            "quantity": quantity,
            "expected_on": expected_on.isoformat(),
        }
        return cast(Stock, self._call("POST", "/v1/inventory/transfers", json=body))

    def list_locations(self) -> list[Location]:
        return cast(list[Location], self._call("GET", "/v1/locations", params=_params(limit=500)))

    def get_product(self, sku: str) -> Product:
        return cast(Product, self._call("GET", f"/v1/products/{_seg(sku)}"))

    def list_products(self, limit: int = 500, offset: int = 0) -> list[Product]:
        return cast(
            list[Product],
            self._call("GET", "/v1/products", params=_params(limit=limit, offset=offset)),
        )

    # --- alerts -----------------------------------------------------------------------------

    def list_alerts(self, status: str | None = None) -> list[Alert]:
        return cast(
            list[Alert], self._call("GET", "/v1/alerts", params=_params(status=status, limit=500))
        )

    def acknowledge_alert(self, alert_id: str) -> Alert:
        return cast(Alert, self._call("POST", f"/v1/alerts/{_seg(alert_id)}/acknowledge"))

    def close_alert(self, alert_id: str, note: str = "") -> Alert:
        """Close it (acknowledging it too if open); `note`, if any, says why."""
        body = {"note": note} if note.strip() else None
        return cast(Alert, self._call("POST", f"/v1/alerts/{_seg(alert_id)}/close", json=body))

    # --- reports ----------------------------------------------------------------------------

    def daily_kpis(self, day: date) -> DailyKpis:
        """The day's figures (UTC), counted exactly by the API."""
        return cast(
            DailyKpis, self._call("GET", "/v1/reports/daily-kpis", params=_params(date=day))
        )

    def _report(self, name: str, first: date, last: date) -> Any:
        return self._call("GET", f"/v1/reports/{name}", params=_period(first, last))

    def sales_report(self, first: date, last: date) -> SalesReport:
        return cast(SalesReport, self._report("sales", first, last))

    def fulfilment_report(self, first: date, last: date) -> FulfilmentReport:
        return cast(FulfilmentReport, self._report("fulfilment", first, last))

    def operations_report(self, first: date, last: date) -> OperationsReport:
        return cast(OperationsReport, self._report("operations", first, last))

    def customers_report(self, first: date, last: date) -> CustomersReport:
        return cast(CustomersReport, self._report("customers", first, last))

    def inventory_report(self, first: date, last: date) -> InventoryReport:
        return cast(InventoryReport, self._report("inventory", first, last))

    # --- simulations ------------------------------------------------------------------------

    def list_datasets(self) -> list[Dataset]:
        return cast(list[Dataset], self._call("GET", "/v1/simulations/datasets"))

    def start_simulation(
        self,
        dataset: str,
        drafts: list[str],
        *,
        limit: int | None = None,
        workers: int = 2,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> SimulationJob:
        body = {
            "dataset": dataset,
            "drafts": drafts,
            "limit": limit,
            "workers": workers,
            "date_from": date_from.isoformat() if date_from else None,
            "date_to": date_to.isoformat() if date_to else None,
        }
        return cast(SimulationJob, self._call("POST", "/v1/simulations", json=body))

    def list_simulations(self) -> list[SimulationJob]:
        return cast(list[SimulationJob], self._call("GET", "/v1/simulations"))

    def get_simulation(self, job_id: str) -> SimulationJob:
        return cast(SimulationJob, self._call("GET", f"/v1/simulations/{_seg(job_id)}"))

    def simulation_result(self, job_id: str) -> SimulationResult:
        return cast(SimulationResult, self._call("GET", f"/v1/simulations/{_seg(job_id)}/result"))

    def changed_orders(
        self, job_id: str, variant: str = "draft", limit: int = 500
    ) -> list[ChangedOrder]:
        return cast(
            list[ChangedOrder],
            self._call(
                "GET",
                f"/v1/simulations/{_seg(job_id)}/changed",
                params=_params(variant=variant, limit=limit),
            ),
        )

    def simulated_order(self, job_id: str, order_id: str) -> SimulatedOrder:
        return cast(
            SimulatedOrder,
            self._call("GET", f"/v1/simulations/{_seg(job_id)}/orders/{_seg(order_id)}"),
        )

    # --- operations: dead letters and the EDI mailbox ---------------------------------------

    def dead_letters(self, limit: int = 500) -> list[DeadLetter]:
        """Events the workers gave up on, newest first, each with its last error (admins)."""
        return cast(
            list[DeadLetter],
            self._call("GET", "/v1/events/dead-letters", params=_params(limit=limit)),
        )

    def redrive_dead_letter(self, letter_id: str) -> DeadLetter:
        """Publish the letter's event again under its own event id and remove the letter; the
        letter as it was. 404 once it is no longer parked (someone redrove it meanwhile)."""
        path = f"/v1/events/dead-letters/{_seg(letter_id)}/redrive"
        return cast(DeadLetter, self._call("POST", path))

    def edi_outbound(
        self, channel: str, status: str = "all", limit: int = 500, offset: int = 0
    ) -> list[OutboundDocument]:
        """A trading partner's mailbox, oldest first: its 855s and 856s `pending` (not yet
        collected by its gateway), `acknowledged` or `all`, each with what its 997 said."""
        params = _params(channel=channel, status=status, limit=limit, offset=offset or None)
        return cast(list[OutboundDocument], self._call("GET", "/v1/edi/outbound", params=params))
