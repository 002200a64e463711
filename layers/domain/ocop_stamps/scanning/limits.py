"""Rate limits of the public routes: one mechanism, a counter per subject and window.

A limit allows ``most`` hits per window to one subject: a client hash (``scanning.privacy``:
a salted hash, never a raw address) or a code. A hit is one UpdateItem ``ADD hits :1`` on a
short-lived counter item in the stamps table (``storage.keys.rate_key``; DynamoDB's TTL
removes it an hour after its window ends). There is no read first, so concurrent hits are
never lost, and a hit over the limit is answered 429 with ``Retry-After`` = the seconds
until the window ends (docs/LIMITS.md, "Rates").

=============  ===========  =====================================  ===========================
limit          subject      most per window (settings)             what counts
=============  ===========  =====================================  ===========================
``unknown``    client hash  30 per 10 minutes (``unknown_limit``,   every answer "no such code"
                            ``unknown_window_seconds``)            however the code was asked
                                                                   about (``verification``)
``report``     client hash  5 per hour (``report_client_limit``)   consumer reports (``reports``)
``report-code`` code        20 per Vietnamese day                  consumer reports on that
                            (``report_code_limit``)                code, from anyone
=============  ===========  =====================================  ===========================

A limiter is a brake, not a gate: when its counter cannot be written the request goes on
(and the failure is logged). A limit of 0 is off.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from ocop_stamps.core.settings import get_settings
from ocop_stamps.observability import logger
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo

HOUR = 3600
DAY = 86400
VN_OFFSET = 7 * HOUR  # Vietnam is UTC+7 all year: day windows start at Vietnamese midnight


class Limit(NamedTuple):
    """``most`` hits per window of ``seconds``; windows start at the epoch shifted by ``offset``."""

    name: str
    most: int
    seconds: int
    offset: int = 0


class RateLimited(Exception):
    """Over ``limit``: answer 429 with ``Retry-After: retry_after`` (seconds)."""

    def __init__(self, limit: str, retry_after: int) -> None:
        super().__init__(f"{limit} limit: retry after {retry_after} s")
        self.limit = limit
        self.retry_after = retry_after


def unknown_lookups() -> Limit:
    """Answers "no such code" per client hash (enumeration): 30 per 10 minutes by default."""
    s = get_settings()
    return Limit("unknown", s.unknown_limit, s.unknown_window_seconds)


def reports_per_client() -> Limit:
    """Consumer reports per client hash: 5 per hour by default."""
    return Limit("report", get_settings().report_client_limit, HOUR)


def reports_per_code() -> Limit:
    """Consumer reports on one code from anyone: 20 per Vietnamese calendar day by default."""
    return Limit("report-code", get_settings().report_code_limit, DAY, VN_OFFSET)


def hit(limit: Limit, subject: str | None, now: dt.datetime) -> int:
    """Count one hit of ``subject`` against ``limit``: 0 if within it, else the seconds until
    its window ends (>= 1). No subject (no source address) or a limit of 0: never limited."""
    if limit.most <= 0 or not subject:
        return 0
    epoch = int(now.timestamp()) + limit.offset
    window = epoch // limit.seconds
    end = (window + 1) * limit.seconds
    try:
        hits = repo.count_hit(table_keys.rate_key(limit.name, subject, window), end - limit.offset + HOUR)
    except Exception:  # the limiter is a brake, not a gate: never fail a request over it
        logger.exception("rate counter failed", extra={"limit": limit.name})
        return 0
    return end - epoch if hits > limit.most else 0
