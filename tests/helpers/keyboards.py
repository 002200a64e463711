"""Vietnamese input methods as a phone keyboard runs them, for tests and the keyboard benchmark.

``type_with(method, keys)`` is what the text field shows after ``keys`` were pressed one by
one with the Telex, VNI or VIQR input method on: the rewrites of Unikey / Gboard / Laban Key
in their usual settings, written from the methods' published key tables (not copied code):

* Telex: ``AA`` ``EE`` ``OO`` -> Â Ê Ô; ``W`` after A/O/U -> Ă Ơ Ư, ``W`` with no vowel to take
  it -> Ư; ``DD`` -> Đ; tone keys S F R X J (sắc, huyền, hỏi, ngã, nặng) and Z (no tone);
* VNI: 6 ^, 7 horn, 8 breve, 9 đ; tones 1-5, 0 removes the tone;
* VIQR: ``^ ( +`` shapes, ``' ` ? ~ .`` tones, ``DD`` or ``D-`` -> Đ (right after the letter only).

Telex and VNI place a tone (and ``W``, ``6``-``9``) on the word's vowel even when the key comes
after up to two more letters (``ANS`` -> ``ÁN``, ``AYS`` -> ``ÁY``: "free tone placement");
a second tone key replaces the first, Z (VNI 0) takes it off; pressing the same key again
right after a rewrite undoes it and keeps the key (``WW`` -> ``W``, ``ASS`` -> ``AS``); a
tone key for the tone a vowel already has is typed as it is. A word is a run of letters:
digits and separators end it. This is a deliberately eager model (real keyboards with a
spelling check rewrite less), so the repair is tested against more rewrites, not fewer.
"""

from __future__ import annotations

import unicodedata

TELEX, VNI, VIQR = "telex", "vni", "viqr"
METHODS = (TELEX, VNI, VIQR)

CIRCUMFLEX, BREVE, HORN, STROKE = "\u0302", "\u0306", "\u031b", "stroke"
TONES = {  # mark -> (Telex, VNI, VIQR)
    "\u0301": ("S", "1", "'"),
    "\u0300": ("F", "2", "`"),
    "\u0309": ("R", "3", "?"),
    "\u0303": ("X", "4", "~"),
    "\u0323": ("J", "5", "."),
}
SHAPE_KEYS = {  # method -> key -> (shape, bases it applies to)
    TELEX: {
        "A": (CIRCUMFLEX, "A"),
        "E": (CIRCUMFLEX, "E"),
        "O": (CIRCUMFLEX, "O"),
        "W": (None, "AOU"),
        "D": (STROKE, "D"),
    },
    VNI: {"6": (CIRCUMFLEX, "AEO"), "7": (HORN, "OU"), "8": (BREVE, "A"), "9": (STROKE, "D")},
    VIQR: {"^": (CIRCUMFLEX, "AEO"), "(": (BREVE, "A"), "+": (HORN, "OU"), "D": (STROKE, "D"), "-": (STROKE, "D")},
}
REMOVE_TONE = {TELEX: "Z", VNI: "0"}
VOWELS = "AEIOUY"
WINDOW = 3  # the key may come after the letter and up to two more letters of the word


def split(ch: str) -> tuple[str, str | None, str | None]:
    """(base letter, shape, tone) of one character."""
    if ch in "Đđ":
        return ("D" if ch == "Đ" else "d"), STROKE, None
    base, *marks = unicodedata.normalize("NFD", ch)
    shape = next((m for m in marks if m in (CIRCUMFLEX, BREVE, HORN)), None)
    tone = next((m for m in marks if m in TONES), None)
    return base, shape, tone


def join(base: str, shape: str | None, tone: str | None) -> str:
    if shape == STROKE:
        return "Đ" if base.isupper() else "đ"
    return unicodedata.normalize("NFC", base + (shape or "") + (tone or ""))


def type_with(method: str, keys: str) -> str:
    """The text a keyboard running ``method`` shows after ``keys`` (see the module docstring)."""
    out: list[str] = []
    last: tuple[str, int, str] | None = None  # (key, index changed, character before) of the last rewrite
    for key in keys:
        k = key.upper()
        if last is not None and last[0] == k:  # the same key again: undo the rewrite, keep the key
            _, index, before = last
            if before:
                out[index] = before
                out.append(key)
            else:
                out[index] = key  # a W that had become Ư on its own is a W again
            last = None
            continue
        last = _rewrite(method, key, out)
        if last is None:
            out.append(key)
    return "".join(out)


def _word(out: list[str]) -> list[int]:
    """Indexes of the last word (a run of letters) in ``out``, oldest first."""
    i = len(out)
    while i > 0 and out[i - 1].isalpha():
        i -= 1
    return list(range(i, len(out)))


def _rewrite(method: str, key: str, out: list[str]) -> tuple[str, int, str] | None:
    """Apply ``key`` as a rewrite if it is one here; the undo record, or None if it is a plain key."""
    k = key.upper()
    word = _word(out)
    near = word[-WINDOW:] if method != VIQR else word[-1:]
    if k in SHAPE_KEYS[method]:
        shape, bases = SHAPE_KEYS[method][k]
        if (method == TELEX and k in "AEO") or k in "D-":
            near = word[-1:]  # a doubled letter, DD, D-: right after the letter only
        for i in reversed(near):
            base, has_shape, tone = split(out[i])
            if base.upper() in bases and has_shape is None and _in_syllable(out, i):
                new_shape = shape or (BREVE if base.upper() == "A" else HORN)
                before, out[i] = out[i], join(base, new_shape, tone)
                return k, i, before
        if method == TELEX and k == "W":  # no vowel to take it: W alone is Ư
            out.append("Ư" if key.isupper() else "ư")
            return k, len(out) - 1, ""
        return None
    tone = next((mark for mark, ks in TONES.items() if ks[METHODS.index(method)] == k), None)
    removing = REMOVE_TONE.get(method) == k
    if tone is None and not removing:
        return None
    target = _tone_target(out, near)
    if target is None:
        return None
    base, shape, old = split(out[target])
    if old == (None if removing else tone):
        return None  # nothing to change: the key is typed as it is
    before, out[target] = out[target], join(base, shape, None if removing else tone)
    return ("" if removing else k), target, before  # taking a tone off is not undone by a second press


def _in_syllable(out: list[str], i: int) -> bool:
    """Whether the letters after ``out[i]`` may end its syllable: vowels of its group, then at
    most a final consonant (C, CH, M, N, NG, NH, P, T)."""
    rest = "".join(split(ch)[0].upper() for ch in out[i + 1 :])
    return (
        rest == ""
        or rest in ("C", "M", "N", "P", "T", "CH", "NG", "NH")
        or (len(rest) == 2 and rest[0] in VOWELS and (rest[1] in VOWELS or rest[1] in "CMNPT"))
        or (len(rest) == 1 and rest in VOWELS)
    )


def _tone_target(out: list[str], near: list[int]) -> int | None:
    """The vowel a tone goes on: one with a shape mark, else the first of the last run of vowels."""
    vowels = [i for i in near if split(out[i])[0].upper() in VOWELS and _in_syllable(out, i)]
    if not vowels:
        return None
    shaped = [i for i in vowels if split(out[i])[1] is not None]
    if shaped:
        return shaped[-1]
    run = vowels[-1]
    while run - 1 in vowels:
        run -= 1
    return run
