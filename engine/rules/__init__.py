"""How the engine talks to the rule language: the schema of its facts, the facts themselves,
and the registry of compiled, published rulesets."""
