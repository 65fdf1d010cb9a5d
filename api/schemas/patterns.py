"""The shapes of the identifiers and codes the API accepts, and how to say each to a person.

Fields declare these patterns, so the OpenAPI schema carries them for clients; a value that
does not match is answered with the words here (`IN_WORDS`), not with the regular expression."""

from __future__ import annotations

from engine.simulation.dataset import NAME_PATTERN as DATASET

SKU = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"
CODE = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$"
ID = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$"
# An id a field may also leave empty ("" where the role needs none: an API key's scope).
ID_OR_EMPTY = r"^$|" + ID
VARIANT = r"^[A-Za-z0-9_\-]{1,50}$"
CLOCK_TIME = r"^\d{2}:\d{2}$"
CURRENCY = r"^[A-Z]{3}$"
SERVICE_LEVEL = r"^[a-z_]{1,32}$"
KEY_ID = r"^[0-9a-f]{1,32}$"
JOB_ID = r"^[0-9a-f]{12}$"
# One address: mail is sent to it, so two joined by a comma, a display name, a line break
# (a header of its own) or a word without a domain must not pass as one.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL = r"^[^@\s,;<>()\"']{1,64}@" + _LABEL + r"(?:\." + _LABEL + r")*\.[A-Za-z]{2,63}$"
EMAIL_OR_EMPTY = r"^$|" + EMAIL


def _name(longest: int, punctuation: str) -> str:
    return (
        f"1 to {longest} characters: letters, digits and {punctuation}, "
        "starting with a letter or a digit"
    )


IN_WORDS = {
    SKU: _name(64, "'.', '_', '-'"),
    CODE: _name(32, "'.', '_', '-'"),
    ID: _name(64, "'.', '_', ':', '-'"),
    ID_OR_EMPTY: "empty, or " + _name(64, "'.', '_', ':', '-'"),
    DATASET: _name(100, "'.', '_', '-'"),
    VARIANT: "1 to 50 letters, digits, '_' or '-'",
    CLOCK_TIME: "a time of day as HH:MM, such as 15:00",
    CURRENCY: "a three-letter ISO 4217 code in capitals, such as USD",
    SERVICE_LEVEL: "1 to 32 lower-case letters or '_', such as standard or two_day",
    KEY_ID: "an API key's id: 1 to 32 lower-case hexadecimal digits",
    EMAIL: "one e-mail address such as ada@example.com (no spaces, commas or names)",
    EMAIL_OR_EMPTY: "empty, or one e-mail address such as ada@example.com (no spaces, commas "
    "or names)",
    JOB_ID: "a job id: 12 lower-case hexadecimal digits",
}
