"""Pydantic request and response models: the API's contract, and the only place pydantic lives."""
