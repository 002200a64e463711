"""What every function does once per cold start, so that handlers never touch storage themselves."""

from __future__ import annotations

from ocop_stamps.core.settings import Settings, get_settings
from ocop_stamps.storage.models import bind_tables


def start() -> Settings:
    """Point the item models at this deployment's tables; return the settings (read once)."""
    settings = get_settings()
    bind_tables(settings)
    return settings
