"""Ordo's domain core: plain dataclass entities, commands, events and domain errors.

Nothing in this package imports SQLAlchemy, pydantic, or anything of ours outside it; the
persistence and API layers are adapters around these classes.
"""
