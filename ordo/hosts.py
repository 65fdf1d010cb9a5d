"""Telling a host that only this machine reaches from any other, for the settings and the
servers alike (one copy: `ordo.serving` refuses to listen beyond loopback on the development
secret, `ordo.settings` refuses clear-text connections beyond loopback in production)."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only: 127.0.0.0/8, ::1 or localhost."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        # Any other name resolves to whatever DNS or /etc/hosts says: not known to be private.
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)
