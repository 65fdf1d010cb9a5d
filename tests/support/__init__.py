"""Helpers shared by the test tiers: throw-away databases and Redis slots on local servers."""
