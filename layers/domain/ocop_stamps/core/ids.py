"""Random identifiers for catalog entities: short, URL-safe, unguessable."""

from __future__ import annotations

import datetime as dt
import secrets

from ocop_stamps.core.vocabulary import CROCKFORD


def new_id(prefix: str, length: int = 12) -> str:
    return prefix + "_" + "".join(secrets.choice(CROCKFORD) for _ in range(length)).lower()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """UTC, millisecond precision, fixed width -- so ISO strings sort by time."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
