"""The one place that builds what is printed on a label: the code and its URL.

CSV exports, print files and the scan endpoint all call these, so the bytes on a label
are the bytes the service answers to (DESIGN.md, "Label URL").
"""

from __future__ import annotations


def label_url(base_url: str, code: str) -> str:
    return f"{base_url}/v/{code}"
