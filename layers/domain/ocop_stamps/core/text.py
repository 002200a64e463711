"""Text as the service keeps it: NFC, without invisible format or control characters (issue 11,
fault 5; issue 13).

Every text enters through ``clean_text`` (request bodies in ``core.schema.Strict``, query and
path parameters in ``api.reading``, the public report form in ``scanning.reports``) and every
text read back from a table passes ``nfc`` (``storage.models`` on each item, ``storage``'s
low-level reads), so a name stored decomposed before the boundary existed -- pasted from a Mac
or Word, where "ế" is "e" + U+0302 + U+0301 -- shows and prints as the same letters as one
typed today. Standard library only: the public scan function imports it.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from typing import Any

_KEPT_CONTROLS = frozenset("\t\n\r")
# Characters that show as nothing yet are not format (Cf) or control (Cc) characters: the
# Default_Ignorable_Code_Point ones outside Cf (Unicode 16.0 DerivedCoreProperties.txt:
# combining grapheme joiner U+034F, Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, Khmer
# inherent vowels U+17B4-U+17B5, Mongolian variation selectors U+180B-U+180D and U+180F,
# variation selectors U+FE00-U+FE0F and U+E0100-U+E01EF, unassigned U+2065 and U+FFF0-U+FFF8
# and U+E0000-U+E0FFF) and the blank Braille pattern U+2800, which a name made only of it
# would otherwise pass as text (issue 11, noticed after the break test).
_INVISIBLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2065\u2800\u3164\ufe00-\ufe0f"
    "\uffa0\ufff0-\ufff8\U000e0000-\U000e0fff]"
)
LONE_SURROGATE = "contains a lone surrogate (not Unicode text)"


def clean_text(value: str) -> str:
    """``value`` without invisible format (Cf) and control (Cc, but tab and newlines) characters
    nor the other characters that show as nothing (``_INVISIBLE``), in NFC.
    ValueError(LONE_SURROGATE) for a lone surrogate, which no table can store."""
    if value.isascii() and value.isprintable():
        return value
    kept = []
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cs":
            raise ValueError(LONE_SURROGATE)
        if category == "Cf" or (category == "Cc" and ch not in _KEPT_CONTROLS):
            continue
        kept.append(ch)
    return unicodedata.normalize("NFC", _INVISIBLE.sub("", "".join(kept)))


def nfc_text(value: str) -> str:
    """``value`` in NFC; the same object when it already is (the common case costs one check)."""
    if value.isascii() or unicodedata.is_normalized("NFC", value):
        return value
    return unicodedata.normalize("NFC", value)


def nfc(value: Any) -> Any:
    """``value`` with every string in it -- dict keys, list, tuple and set members, nested --
    in NFC. Other values are returned as they are; containers are rebuilt only when a string in
    them changed, so reading already-normal data allocates nothing."""
    if isinstance(value, str):
        return nfc_text(value)
    if isinstance(value, dict):
        pairs = [(k, v, nfc(k), nfc(v)) for k, v in value.items()]
        if all(k is nk and v is nv for k, v, nk, nv in pairs):
            return value
        return {nk: nv for _, _, nk, nv in pairs}
    if isinstance(value, list | tuple | set | frozenset):
        items = [nfc(v) for v in value]
        same = all(a is b for a, b in zip(value, items, strict=True))
        return value if same else type(value)(items)
    return value


def is_digits(value: str) -> bool:
    """Whether ``value`` is one or more ASCII digits 0-9 and nothing else.

    ``str.isdigit`` is not that: it is also true of superscripts ("²", which ``int`` then
    refuses: a 500) and of other scripts' digits ("١٢", full-width "１０", which ``int`` reads
    as numbers no form or API of ours means). Every number a client sends is read with this."""
    return value.isascii() and value.isdigit()


def same_secret(given: str, expected: str) -> bool:
    """Whether ``given`` (from a client: a token, a MAC, a state) equals ``expected``, in
    constant time. ``hmac.compare_digest`` refuses two ``str`` with a non-ASCII character
    (TypeError: a CSRF token ``%C3%A9`` was a 500 on every console form); this compares their
    UTF-8 bytes, lone surrogates included, so any text a client sends is simply not equal."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))
