"""The `Idempotency-Key` of each thing a person asks the console to do.

The API runs a write at most once per key (`api/idempotent.py`): a retry carrying the key of
the first attempt gets the first answer again (`Idempotent-Replayed: true`) instead of
cancelling, refunding or moving stock a second time. So a key must name one intended action,
not one HTTP attempt. `WriteKeys` holds them for one browser session (the console keeps it in
`st.session_state`), one per request, a request being its method, path, query and body:

- A request whose answer did not come (a timeout, a 5xx, the API's "still being processed")
  keeps its key until one does: the person clicking the same button again with the same
  values sends the same request, under the same key, and is told what the first attempt did.
- An answered request keeps its key until a page run ends uninterrupted (`settle`), unless
  that run is the one the API did it in. A second click while the first was being processed
  makes Streamlit run the page again with the form submitted again: that resend belongs to
  the first click, and gets its answer again.
- Anything else is a new action with a new key: other values, or the same values sent again
  after a run that showed the answer (moving 3 more units, on purpose).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

HEADER = "Idempotency-Key"
REPLAYED = "idempotent-replayed"  # the API's header on an answer given again
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Keys whose answers never came, kept for a retry; beyond this the oldest are forgotten (a
# retry of one of those would then run again), so a long session cannot grow without end.
MAX_KEPT = 100


def fingerprint(method: str, path: str, params: Mapping[str, str] | None, body: Any) -> str:
    """What makes two requests the same one: key order in the body does not."""
    canonical = json.dumps(
        [method.upper(), path, dict(params or {}), body],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Attempt:
    """One sending of a request: which request, and the key it goes with."""

    request: str  # its `fingerprint`
    key: str


@dataclass
class WriteKeys:
    """The keys of one session's writes; see the module's docstring for when one is new."""

    _keys: dict[str, str] = field(default_factory=dict)  # request -> key, oldest first
    _answered: set[str] = field(default_factory=set)
    _done_now: set[str] = field(default_factory=set)  # requests the API did in this run
    replays: int = 0  # answers the API gave again, not yet told to the person

    def begin(self, method: str, path: str, params: Mapping[str, str] | None, body: Any) -> Attempt:
        """The key to send this request with: its earlier attempt's, else a new one."""
        request = fingerprint(method, path, params, body)
        key = self._keys.get(request)
        if key is None:
            key = f"console-{uuid.uuid4()}"
            self._keys[request] = key
            for old in list(self._keys)[: max(len(self._keys) - MAX_KEPT, 0)]:
                self._forget(old)
        self._answered.discard(request)
        self._done_now.discard(request)
        return Attempt(request, key)

    def answered(self, attempt: Attempt, replayed: bool = False) -> None:
        """The API answered the attempt for good (done, or refused); `replayed`: with the
        answer it gave the first time, so nothing was done now."""
        self._answered.add(attempt.request)
        if replayed:
            self.replays += 1
        else:
            self._done_now.add(attempt.request)

    def new_run(self) -> None:
        """A page run begins: the API has done nothing in it yet."""
        self._done_now.clear()

    def settle(self) -> None:
        """A page run ended uninterrupted, so the person saw the answers it showed: the
        answered requests are done with, and get new keys next time, but for those done in
        this very run, which a click queued meanwhile may still send again."""
        for request in self._answered - self._done_now:
            self._forget(request)

    def take_replays(self) -> int:
        """How many answers were given again since last asked."""
        replays, self.replays = self.replays, 0
        return replays

    def _forget(self, request: str) -> None:
        self._keys.pop(request, None)
        self._answered.discard(request)
        self._done_now.discard(request)
