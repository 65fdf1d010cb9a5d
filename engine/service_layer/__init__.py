"""The service layer: unit of work, message bus and the handlers that turn commands into events."""
