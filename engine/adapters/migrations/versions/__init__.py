"""Alembic revisions of Ordo's schema, oldest first (0001, 0002, ...)."""
