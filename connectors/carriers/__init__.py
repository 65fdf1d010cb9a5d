"""Carrier connectors. `ratecard` prices from the YAML rate cards under `rulesets/carriers/`."""
