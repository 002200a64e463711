"""Checks of the console's server-rendered forms, shared by the view tests."""

from __future__ import annotations

import re


def unlabelled(html: str) -> list[str]:
    """Each input, select and textarea (not hidden) without an id or without a <label for> it."""
    missing = []
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' in tag:
            continue
        found = re.search(r'\bid="([^"]+)"', tag)
        if not found or f'<label for="{found.group(1)}">' not in html:
            missing.append(tag)
    return missing
