"""A double-clicked submit in a real browser: two navigations, the first aborted by the second.

Playwright's ``wait_for_url`` then sometimes fails with ``net::ERR_ABORTED`` (the navigation it
was following was cancelled), depending on timing -- a flaky test, not a fault of the page.
``landed`` waits for the URL the page must end on, whichever navigation gets there."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Error as PlaywrightError


def landed(page: Any, pattern: re.Pattern[str], timeout: float = 30.0) -> None:
    """Wait until ``page`` has loaded a URL matching ``pattern`` (seconds), across an aborted navigation."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            page.wait_for_url(pattern, timeout=max(1.0, deadline - time.monotonic()) * 1000)
            page.wait_for_load_state()
            return
        except PlaywrightError as exc:
            if ("ERR_ABORTED" not in str(exc) and "detached" not in str(exc)) or time.monotonic() > deadline:
                raise
