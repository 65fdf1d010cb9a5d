"""Sign-in state and the guard every page runs inside.

The credential and who it belongs to live in `st.session_state` for the browser session only.
`run_page(render)` opens a client for one script run, calls the page, and turns any failure
into a message: an `ApiError` shows the API's own sentence (and its findings as a list);
anything else is logged with its traceback on the server and shown as one line, never as a
traceback in the browser. Inside a page, `section(part)` does the same for one part, so a
failed call is shown where it happened and the page's other parts still render.

The session's write keys (`admin_ui.idempotency`) live here too, so every client the session
opens sends a retried action under its first attempt's key; `run_page` tells them when a run
begins and when it ended with its answers on screen, and says when an answer was the API's
first one given again (nothing was done twice).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st

from admin_ui.client import ApiError, OrdoClient
from admin_ui.idempotency import WriteKeys
from admin_ui.models import Principal
from admin_ui.texts import bulleted

T = TypeVar("T")

log = logging.getLogger(__name__)

DEFAULT_API_URL = "http://127.0.0.1:8000"
_CREDENTIAL = "ordo_credential"
_PRINCIPAL = "ordo_principal"
_API_URL = "ordo_api_url"
_FLASH = "ordo_flash"
_WRITE_KEYS = "ordo_write_keys"
REPLAYED = (
    "That had already been done, by an earlier attempt of the same action: its answer is "
    "shown, and it was not done twice."
)

Render = Callable[[OrdoClient, Principal], None]


def address_choosable() -> bool:
    """Whether the sign-in form may name another API than ORDO_API_URL: in development only
    (ORDO_ENVIRONMENT, which `ordo console` and `ordo up` pass on). Elsewhere whoever reaches
    the console could have its server send requests, with the credential they typed, to any
    address inside the network; an unset environment is not development."""
    return os.environ.get("ORDO_ENVIRONMENT", "").strip().lower() == "development"


def configured_api_url() -> str:
    """ORDO_API_URL (set by `ordo console` and `ordo up`), else the API's default address."""
    return str(os.environ.get("ORDO_API_URL", "").strip() or DEFAULT_API_URL).rstrip("/")


def api_url() -> str:
    """Where the API is: ORDO_API_URL, or in development the address this session signed in to."""
    chosen = st.session_state.get(_API_URL) if address_choosable() else None
    return str(chosen or configured_api_url()).rstrip("/")


def principal() -> Principal | None:
    found: Principal | None = st.session_state.get(_PRINCIPAL)
    return found


def sign_in(credential: str, url: str | None = None) -> Principal:
    """Check the credential against the API and remember it; raises ApiError if refused.

    `url`, the address typed in the form, counts in development only: elsewhere the form
    shows no field for it, and a value sent all the same (a browser can send any widget's
    value) is ignored, so the credential goes to ORDO_API_URL and nowhere else."""
    credential = credential.strip()
    if not credential:
        raise ApiError("enter an API key (ordo_...) or a bearer token")
    chosen = (url or "").strip().rstrip("/") if address_choosable() else ""
    target = chosen or configured_api_url()
    with OrdoClient(target, credential) as client:
        who = client.whoami()
    st.session_state[_API_URL] = target
    st.session_state[_CREDENTIAL] = credential
    st.session_state[_PRINCIPAL] = who
    return who


def sign_out() -> None:
    for key in (_CREDENTIAL, _PRINCIPAL, _WRITE_KEYS):
        st.session_state.pop(key, None)


def write_keys() -> WriteKeys:
    """This browser session's write keys, kept across its page runs."""
    keys: WriteKeys = st.session_state.setdefault(_WRITE_KEYS, WriteKeys())
    return keys


def open_client() -> OrdoClient:
    return OrdoClient(api_url(), str(st.session_state.get(_CREDENTIAL, "")), keys=write_keys())


def flash(message: str) -> None:
    """A success message that survives the rerun a change triggers (to show fresh data)."""
    st.session_state.setdefault(_FLASH, []).append(message)


def show_failure(error: BaseException, part: str = "") -> None:
    """A readable message for a failure, headed by the `part` of the page it struck; the
    answer's findings one per line when it lists several; an unexpected failure is logged in
    full for operators."""
    head = f"**{part}**: " if part else ""
    if isinstance(error, ApiError):
        if error.still_running:  # no failure: the first attempt's answer is on its way
            st.warning(head + error.message[:1].upper() + error.message[1:] + ".")
            return
        if error.status == 401:
            text = f"Your sign-in is no longer accepted: {error.message}. Sign out and in again."
        elif error.status == 403:
            text = f"Your role may not do this: {error.message}"
        elif len(error.findings) > 1:
            text = bulleted(_lead(error.detail, error.findings), error.findings)
        else:
            text = error.message[:1].upper() + error.message[1:]
        st.error(head + text)
        return
    log.exception("console page failed%s", f" in {part}" if part else "")
    st.error(
        f"{head}Something went wrong {'here' if part else 'on this page'} "
        f"({type(error).__name__}: {error}). The details are in the console's log."
    )


def _lead(detail: str, findings: tuple[str, ...]) -> str:
    """The answer's sentence without the findings it already summarises (a request's first
    bad fields), since the list below shows every one of them."""
    at = detail.find(findings[0])
    return detail[:at].rstrip(" ;,") if at > 0 else detail


@contextmanager
def section(part: str) -> Iterator[None]:
    """Run one part of a page (a tab, a list, a panel, a form's action): when it fails, its
    failure is shown here, in that part's place, and the rest of the page still renders.

    `with tab, section("Stock at a location"): ...` shows the message inside the tab. Streamlit's
    own rerun and stop are BaseExceptions, not Exceptions, so `st.rerun()` passes through.
    """
    try:
        yield
    except Exception as error:  # this part's failure stays this part's: the page goes on
        show_failure(error, part)


def run_page(render: Render) -> None:
    """Run one page for the signed-in user, showing every failure as a message.

    Pages wrap their independent parts in `section`, so one failed call costs only its part;
    the catch here is the last resort for a failure outside every section (opening the
    client, the page's own first call).
    """
    who = principal()
    if who is None:
        st.info("Sign in first.")
        return
    # Always one container here, empty or not, so the page's elements keep their places and
    # its tabs do not jump back to the first one when a message comes and goes.
    messages = st.container()
    for message in st.session_state.pop(_FLASH, []):
        messages.success(message)
    keys = write_keys()
    if keys.take_replays():
        messages.info(REPLAYED)
    keys.new_run()
    try:
        with open_client() as client:
            render(client, who)
    except Exception as error:  # every failure becomes a message, never a traceback
        show_failure(error)
    # Not reached when Streamlit stops the run or reruns it (a BaseException): a click queued
    # meanwhile may resend what this run sent, and must find its key.
    keys.settle()


def attempt(change: Callable[[], T], refused: str) -> T | None:
    """Run one step; the API's refusal (404, 409, 422) is shown here as "`refused`: why"."""
    try:
        return change()
    except ApiError as error:
        if error.status not in (404, 409, 422) or error.still_running:
            raise
        st.error(f"{refused}: {error.message}")
        return None
