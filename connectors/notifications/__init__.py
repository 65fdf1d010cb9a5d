"""Notification connectors: email over SMTP from templates, and a webhook sink for alerts."""
