"""``repeat`` from evidence of several scanners, not of several page loads.

A *scanner* is the network a person scanned from: the first two hex digits of the scan's
client hash (``privacy.client_hash``: a salted HMAC of the address, an IPv6 address by
its /64). The stamp item keeps the set of its scanners, added in the same UpdateItem that
counts the scan (``storage.repository.count_scan``), so the page knows how many distinct
scanners checked the stamp without another request.

The rule (``verdicts.judge``): a stamp reads ``repeat`` when more distinct scanners than the
product's ``repeat_threshold`` (default 5) have checked it. One scanner alone can never
make a stamp read ``repeat``: the buyer who checks their jar five times sees ``genuine``,
"checked 5 times, all from this device"; a label copied onto many jars, bought and
checked by many people, trips it. Why these numbers and not places is in docs/COUNTING.md.

Bounded by construction: two hex digits give 256 buckets, so the set never holds more
than 256 two-character strings (at most ~0.5 KB; a stamp item stays under 1 KB, one write
unit per scan). Two scanners share a bucket with probability 1/256, so the count is a lower
bound: with 6 real scanners the chance of reading 5 is about 6 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

SCANNER_CHARS = 2  # hex digits of the client hash kept: 16**2 = 256 buckets
# A product's default ``repeat_threshold``: the buyer on 4G and at home, the family's phones,
# the seller showing it, a gift's recipient -- a genuine jar's life seldom needs more.
DEFAULT_REPEAT_SCANNERS = 5


def scanner_of(client_hash: str | None) -> str | None:
    """The scanner bucket of a client hash (``"3f"``), or None when the request had no address."""
    return client_hash[:SCANNER_CHARS] if client_hash else None


class Spread(NamedTuple):
    """How widely a stamp has been checked, as the page tells it."""

    scanners: int  # distinct scanners (buckets) that checked the stamp; 0 if unknown
    this_device_only: bool  # every counted scan came from the scanner asking now


def spread(scanners: Iterable[str] | None, me: str | None) -> Spread:
    """``scanners``: the stamp's stored set; ``me``: this request's scanner bucket."""
    found = set(scanners or ())
    return Spread(len(found), bool(me) and found == {me})
