"""The type system, and the schema through which the host describes its data to the language.

The DSL never imports the engine. The engine (or a test, or the benchmark) declares the roots a
ruleset may name (`order`, `location`, `carrier`, `event`, ...) with their field types, either as
`Type` objects or as plain data through `Schema.from_dict`:

    Schema.from_dict({
        "types": {"line": {"sku": "str", "quantity": "int", "price": "money(USD)"}},
        "roots": {"order": {"id": "str", "total": "money(USD)", "lines": "list(line)",
                            "ship_to": {"country": "str", "lat": "number?", "lon": "number?"},
                            "requested_date": "date?"}},
        "kinds": {"validation": ["order"]},          # optional: roots allowed per rule kind
        "events": ["order.received"],                # optional: events a ruleset may react to
    })

Type spellings: str, int, number, bool, date, datetime, duration, money(CUR), quantity(mass),
quantity(length), list(T), geo (a record with lat and lon), a nested mapping (a record), or a
name declared under "types". A trailing `?` marks a field that may be None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

KINDS = ("validation", "sourcing", "reservation", "carrier", "alert")

# The candidate an action of each kind is about: `require location.code in ...` is evaluated by the
# host once per location. Reservation actions may also be narrowed to locations.
CANDIDATE = {"sourcing": "location", "reservation": "location", "carrier": "carrier"}


@dataclass(frozen=True)
class Type:
    """A type of the rule language.

    `kind` is one of str, int, number, bool, date, datetime, duration, money, quantity, list,
    record, any (only for empty lists and parameters of tables whose cells say nothing), or none.
    """

    kind: str
    unit: str = ""  # currency for money, dimension (mass/length) for quantity
    item: Type | None = None
    fields: tuple[tuple[str, Type], ...] = ()
    name: str = ""  # records: the name used in messages ("order", "line", "geo")
    optional: bool = False

    def field(self, name: str) -> Type | None:
        for key, value in self.fields:
            if key == name:
                return value
        return None

    def field_names(self) -> list[str]:
        return [key for key, _ in self.fields]

    def as_optional(self, optional: bool = True) -> Type:
        return self if self.optional == optional else replace(self, optional=optional)

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("int", "number")

    def same_shape(self, other: Type) -> bool:
        """Equal ignoring optionality (int and number count as one family elsewhere)."""
        return self.as_optional(False) == other.as_optional(False)

    def describe(self) -> str:
        """How the type is named in messages to analysts."""
        if self.kind == "money":
            text = f"an amount in {self.unit}"
        elif self.kind == "quantity":
            text = f"a {self.unit} ({'kg' if self.unit == 'mass' else 'km'})"
        elif self.kind == "list":
            text = f"a list of {self.item.describe() if self.item else 'values'}"
        elif self.kind == "record":
            text = f"a record ({self.name})" if self.name else "a record"
        else:
            text = _PLAIN_NAMES.get(self.kind, self.kind)
        return text

    def __str__(self) -> str:
        if self.kind == "money":
            text = f"money({self.unit})"
        elif self.kind == "quantity":
            text = f"quantity({self.unit})"
        elif self.kind == "list":
            text = f"list({self.item})"
        elif self.kind == "record":
            text = self.name or "record"
        else:
            text = self.kind
        return text + ("?" if self.optional else "")


_PLAIN_NAMES = {
    "str": "text",
    "int": "a whole number",
    "number": "a number",
    "bool": "true/false",
    "date": "a date",
    "datetime": "a date and time",
    "duration": "a duration",
    "any": "any value",
    "none": "nothing",
}

STR = Type("str")
INT = Type("int")
NUMBER = Type("number")
BOOL = Type("bool")
DATE = Type("date")
DATETIME = Type("datetime")
DURATION = Type("duration")
ANY = Type("any")


def money(currency: str) -> Type:
    return Type("money", unit=currency)


def quantity(dimension: str) -> Type:
    return Type("quantity", unit=dimension)


def list_of(item: Type) -> Type:
    return Type("list", item=item)


def record(name: str, fields: Mapping[str, Type]) -> Type:
    return Type("record", name=name, fields=tuple(fields.items()))


GEO = record("geo", {"lat": NUMBER, "lon": NUMBER})


class SchemaError(ValueError):
    """The host described its data wrongly (a programming error on the host's side)."""


@dataclass(frozen=True)
class Schema:
    """What a ruleset may name: roots with their types, per-kind root lists, known events."""

    roots: Mapping[str, Type]
    kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    events: tuple[str, ...] = ()

    def roots_for(self, kind: str) -> dict[str, Type]:
        """Roots a ruleset of `kind` may name, candidates included (the checker scopes those)."""
        allowed = self.kinds.get(kind)
        if allowed is None:
            return dict(self.roots)
        return {name: self.roots[name] for name in allowed if name in self.roots}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Schema:
        """Build a schema from plain data (see the module docstring for the format)."""
        named_raw = data.get("types", {})
        roots_raw = data.get("roots", {})
        if not isinstance(named_raw, Mapping) or not isinstance(roots_raw, Mapping):
            raise SchemaError("`types` and `roots` must be mappings of name to type")
        resolver = _Resolver(dict(named_raw))
        roots = {str(name): resolver.resolve(spec, str(name)) for name, spec in roots_raw.items()}
        kinds_raw = data.get("kinds", {})
        if not isinstance(kinds_raw, Mapping):
            raise SchemaError("`kinds` must map a rule kind to a list of root names")
        kinds: dict[str, tuple[str, ...]] = {}
        for kind, names in kinds_raw.items():
            if kind not in KINDS:
                raise SchemaError(f"unknown rule kind {kind!r} in `kinds`; expected one of {KINDS}")
            if not isinstance(names, list | tuple) or not all(n in roots for n in names):
                raise SchemaError(f"`kinds.{kind}` must list declared roots")
            kinds[str(kind)] = tuple(str(n) for n in names)
        events_raw = data.get("events", ())
        if not isinstance(events_raw, list | tuple):
            raise SchemaError("`events` must be a list of event names")
        return cls(roots=roots, kinds=kinds, events=tuple(str(e) for e in events_raw))


class _Resolver:
    """Turns type spellings into `Type`s, following names declared under "types"."""

    def __init__(self, named: dict[str, object]) -> None:
        self.named = named
        self.done: dict[str, Type] = {}
        self.busy: set[str] = set()

    def resolve(self, spec: object, name: str) -> Type:
        if isinstance(spec, Type):
            return spec
        if isinstance(spec, Mapping):
            return record(name, {str(k): self.resolve(v, str(k)) for k, v in spec.items()})
        if isinstance(spec, list) and len(spec) == 1:
            return list_of(self.resolve(spec[0], name))
        if not isinstance(spec, str):
            raise SchemaError(f"cannot read the type of {name!r}: {spec!r}")
        text = spec.strip()
        optional = text.endswith("?")
        text = text.rstrip("?").strip()
        return self._spelled(text, name).as_optional(optional)

    def _spelled(self, text: str, name: str) -> Type:
        simple = {
            "str": STR, "string": STR, "text": STR, "int": INT, "number": NUMBER, "float": NUMBER,
            "bool": BOOL, "date": DATE, "datetime": DATETIME, "duration": DURATION, "geo": GEO,
        }
        if text in simple:
            return simple[text]
        if text.startswith("money(") and text.endswith(")"):
            currency = text[6:-1].strip()
            if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
                raise SchemaError(f"{name!r}: money needs an ISO currency code, got {currency!r}")
            return money(currency)
        if text.startswith("quantity(") and text.endswith(")"):
            dimension = text[9:-1].strip()
            if dimension not in ("mass", "length"):
                raise SchemaError(f"{name!r}: quantity is mass or length, got {dimension!r}")
            return quantity(dimension)
        if text.startswith("list(") and text.endswith(")"):
            return list_of(self.resolve(text[5:-1], name))
        if text in self.named:
            if text in self.done:
                return self.done[text]
            if text in self.busy:
                raise SchemaError(f"type {text!r} refers to itself")
            self.busy.add(text)
            resolved = self.resolve(self.named[text], text)
            if resolved.kind == "record":
                resolved = replace(resolved, name=text)
            self.busy.discard(text)
            self.done[text] = resolved
            return resolved
        raise SchemaError(f"{name!r}: unknown type {text!r}")
