"""Simulation: import history, replay it through rulesets, report what would have happened.

The pieces, in the order data flows through them:
`mapping` (a YAML file maps a foreign export's columns and codes to Ordo's fields) →
`history` (streaming readers for CSV, JSON Lines and Parquet) → `dataset` (a normalised,
time-ordered copy on disk, written atomically) → `ledger` (stock as it was, receipts at their
dates) → `replay` (every order through the production `Decider`) → `kpis`, `diff`, `report`.
`parallel` runs several rulesets over one history; `jobs` lets the API run and poll them.
"""
