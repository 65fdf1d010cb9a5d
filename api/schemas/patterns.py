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
# A SKU a field may leave empty (a short pick's line named by its order line id instead).
SKU_OR_EMPTY = r"^$|" + SKU
VARIANT = r"^[A-Za-z0-9_\-]{1,50}$"
CLOCK_TIME = r"^\d{2}:\d{2}$"
CURRENCY = r"^[A-Z]{3}$"
# ISO 3166-1 alpha-2's shape: rules compare the country as written (`== "US"`, `in
# embargoed_countries`), so a lower-case "cu" would slip past the embargo on "CU".
COUNTRY = r"^[A-Z]{2}$"
# Rulesets and rate cards name their own service levels, so only the shape is checked: the
# shipped ones (standard, two_day, next_day, ...) and the pipeline's "2day" fit. No '-': the
# rules compare levels as written, and "two-day" would quietly miss every rule for two_day.
SERVICE_LEVEL = r"^[a-z0-9][a-z0-9_]{0,31}$"
KEY_ID = r"^[0-9a-f]{1,32}$"
# A carrier's tracking number as a person pastes it or a scanner types it: printable ASCII
# (what a label's Code 128 barcode holds), the spaces and line ends around it ignored.
TRACKING_NUMBER = r"^\s*[!-~][ -~]*\s*$"
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
    SKU_OR_EMPTY: "empty, or " + _name(64, "'.', '_', '-'"),
    DATASET: _name(100, "'.', '_', '-'"),
    VARIANT: "1 to 50 letters, digits, '_' or '-'",
    CLOCK_TIME: "a time of day as HH:MM, such as 15:00",
    CURRENCY: "a three-letter ISO 4217 code in capitals, such as USD",
    COUNTRY: "a two-letter ISO 3166-1 country code in capitals, such as US",
    SERVICE_LEVEL: "1 to 32 lower-case letters, digits or '_', starting with a letter or a "
    "digit, such as standard or two_day",
    KEY_ID: "an API key's id: 1 to 32 lower-case hexadecimal digits",
    TRACKING_NUMBER: "a tracking number: printable ASCII characters (letters, digits, "
    "punctuation), not only spaces, such as PCL000123456789",
    EMAIL: "one e-mail address such as ada@example.com (no spaces, commas or names)",
    EMAIL_OR_EMPTY: "empty, or one e-mail address such as ada@example.com (no spaces, commas "
    "or names)",
    JOB_ID: "a job id: 12 lower-case hexadecimal digits",
}
