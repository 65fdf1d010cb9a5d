"""Adapters at the edge of the engine: persistence, buses, geography, clocks."""
