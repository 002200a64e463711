"""The catalogue of words people read: one module per language, the same keys in each.

``vi.TEXTS`` and ``en.TEXTS`` map a stable ASCII key (``section.name``: ``page.genuine``,
``void_reason.lost``) to the text in that language; ``{name}`` placeholders are filled with
``str.format`` by the caller, who escapes values first where the text goes into HTML. Pages,
verdicts, the vocabulary's labels (``core.vocabulary``), void reasons, recall and rating
notices read their words here; where they live and the rules they follow: docs/WORDS.md.
Standard library only (the scan path and ``ocop_stamps.pages`` import it).
"""

from __future__ import annotations

from ocop_stamps.core.words import en, vi

CATALOGUES: dict[str, dict[str, str]] = {"vi": vi.TEXTS, "en": en.TEXTS}
"""Language -> key -> text; Vietnamese first (the default language)."""


def text(key: str, lang: str = "vi", **values: object) -> str:
    """The text of ``key`` in ``lang`` (Vietnamese for any language but ``en``), placeholders filled.
    KeyError for a key the catalogue does not hold."""
    words = CATALOGUES["en" if lang == "en" else "vi"][key]
    return words.format(**values) if values else words


def pair(key: str) -> tuple[str, str]:
    """(Vietnamese, English) of ``key``, placeholders left in; KeyError for a key not held."""
    return vi.TEXTS[key], en.TEXTS[key]


def section(prefix: str) -> dict[str, tuple[str, str]]:
    """Every (Vietnamese, English) pair whose key starts ``prefix.``, keyed by the rest of the key:
    ``section("void_reason")["lost"] == ("tem thất lạc", "lost")``."""
    start = prefix + "."
    return {key.removeprefix(start): pair(key) for key in vi.TEXTS if key.startswith(start)}
