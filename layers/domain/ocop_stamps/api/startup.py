"""What every function does once per cold start, so that handlers never touch storage themselves,
and the retry budget each request of a public function runs in (``api.resolver`` sets it for
the others)."""

from __future__ import annotations

from ocop_stamps.core.settings import Settings, get_settings
from ocop_stamps.storage.faults import request_budget
from ocop_stamps.storage.models import bind_tables

__all__ = ["request_budget", "start"]


def start() -> Settings:
    """Point the item models at this deployment's tables; return the settings (read once)."""
    settings = get_settings()
    bind_tables(settings)
    return settings
