"""A code as a person, a phone or a print shop sent it, read back to the printed code (issue 11).

Every entry point of a code -- ``/v/{code}`` in any case or with a trailing slash, the typed-code
form ``/v?code=``, a report, the serial of a GS1 Digital Link -- reads it with ``read``, so they
all accept the same shapes:

* percent-encoding left in a path (``ABCD%20EFGH``), also twice (``ABCD%2520EFGH``), any
  Unicode form (NFC, NFD, full-width), any case;
* a whole label URL pasted into the code box (``https://host/v/{code}``,
  ``https://host/01/{gtin}/21/{code}``, ``.../v?code={code}``): its code (``unwrap``);
* separators a person types: spaces (any Unicode space), hyphens and dashes, dots, underscores,
  commas, colons, slashes, invisible format characters;
* Crockford's confusables O -> 0, I and L -> 1 (``scheme.normalize``);
* **codes typed on a Vietnamese keyboard.** Phone keyboards in Vietnam run an input method
  that rewrites keys into accented letters as you type: Telex ``EE`` -> ``Ê``, ``AW`` -> ``Ă``,
  ``DD`` -> ``Đ``, ``W`` -> ``Ư``, tone keys S F R X J (``AS`` -> ``Á``), stacked (``EES``,
  ``ESE`` -> ``Ế``), the tone key also typed after the rest of the syllable (``ANS`` -> ``ÁN``,
  ``AYF`` -> ``ÀY``), a second tone replacing the first (``ASF`` -> ``À``), Z taking it off
  (``ASZ`` -> ``A``); VNI the same with digits (6 ^, 7 horn, 8 breve, 9 đ, 1-5 tones, 0 none);
  VIQR with punctuation (``A.`` -> ``Ạ``, ``D-`` -> ``Đ``, ...); and pressing a key again right
  after its rewrite undoes it and keeps the key (``WW`` -> ``W``, ``ASS`` -> ``AS``,
  ``A66`` -> ``A6``): characters are lost without a trace of an accent.

The repair maps each accented letter back to every key sequence that produces it under each
method (tests/helpers/keyboards.py simulates them) -- the shape key anywhere among the tone
keys, up to two tones replaced before the one that stayed, each key right after the letter or
after up to ``MAX_DELAY`` following letters of its syllable -- and each plain character back to
what may have been lost around it (a doubled key, a tone taken off), at most ``MAX_LOST``
keys per input. It keeps the readings of exactly 16 characters that pass the check symbol
and ``decode`` (the 26-bit tag of the keyed permutation), and accepts only when exactly one
distinct code passes. Otherwise -- no reading, several, or more than ``MAX_CANDIDATES`` --
the answer is "turn off the Vietnamese keyboard and type it again": a code is never guessed.
An unknown code is never turned into another genuine one: a reading that is not the code
typed passes the check symbol, the key version and the tag only by chance (2^-36 per
reading, with one key version) and must then also be an issued serial; at most
``MAX_CANDIDATES`` readings per input keep the odds below 2 x 10^-8 per try (measured:
tests/perf/bench_keyboard.py, docs/PERFORMANCE.md "Keyboard repair (issue 11)").

A text of ASCII letters and digits is first decoded as it is; only when that fails and it is
one to ``MAX_LOST`` characters short are the lost-key readings tried. Standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from itertools import combinations_with_replacement
from typing import NamedTuple
from urllib.parse import unquote

from ocop_stamps.codes.scheme import (
    CHECK_ROWS,
    CODE_LENGTH,
    DIGITS,
    CodeKeys,
    InvalidCode,
    StampId,
    check_passes,
    decode,
    normalize,
)

MAX_INPUT = 64  # characters, as ``scheme.decode`` accepts
MAX_CANDIDATES = 1024  # readings per input at most (measured: 99.9 % of repairs need fewer than 1,024)
MAX_DELAY = 2  # letters between an accented letter and a key typed after them (AY, AN, ANG, ...)
MAX_LOST = 3  # keys per input that left no trace (pressed twice, tones replaced or taken off again)

PLAIN = "plain"  # read as typed (separators, case, confusables aside)
REPAIRED = "repaired"  # typed on a Vietnamese keyboard, and exactly one reading is a code
KEYBOARD = "keyboard"  # typed on a Vietnamese keyboard, and no single reading: ask to retype

# Tone marks (NFD combining characters) -> the key of each method: Telex, VNI, VIQR.
_TONES = {
    "\u0301": ("S", "1", "'"),  # sắc
    "\u0300": ("F", "2", "`"),  # huyền
    "\u0309": ("R", "3", "?"),  # hỏi
    "\u0303": ("X", "4", "~"),  # ngã
    "\u0323": ("J", "5", "."),  # nặng
}
# (base letter, shape mark) -> the keys of each method (alternatives).
_STROKE = "đ"
_SHAPES: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("A", "\u0302"): (("A",), ("6",), ("^",)),  # Â
    ("E", "\u0302"): (("E",), ("6",), ("^",)),  # Ê
    ("O", "\u0302"): (("O",), ("6",), ("^",)),  # Ô
    ("A", "\u0306"): (("W",), ("8",), ("(",)),  # Ă
    ("O", "\u031b"): (("W",), ("7",), ("+",)),  # Ơ
    ("U", "\u031b"): (("W",), ("7",), ("+",)),  # Ư
    ("D", _STROKE): (("D",), ("9",), ("D", "-")),  # Đ
}
_VOWELS = frozenset("AEIOUY")
_CODA = frozenset("CMNPT")  # final consonants of a Vietnamese syllable, and CH, NG, NH
_CODA_PAIRS = frozenset({"CH", "NG", "NH"})
# The key that takes a tone off again, per method (Telex, VNI; VIQR has none).
_REMOVERS = ("Z", "0", None)
# Keys whose second press undoes a rewrite (Telex letters, VNI digits).
_TELEX_SHAPE_KEYS = frozenset("AEODW")
_TONE_KEYS = frozenset("SFRXJ12345")
_VNI_SHAPE_KEYS = frozenset("6789")
_SEPARATORS = frozenset(" -_.,:;/\\|·•・")
_SEPARATOR_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Pd", "Cf", "Cc"})
_ASCII_DROP = str.maketrans("", "", "".join(c for c in map(chr, range(128)) if c in _SEPARATORS or not c.isprintable()))
_CANON = {"O": "0", "I": "1", "L": "1"}
_ALPHABET_SET = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


class Typed(NamedTuple):
    """How a typed code reads: ``code``/``stamp`` when it is exactly one code we could have issued."""

    text: str  # what was typed: upper case, NFC, no separators (for the log and the page)
    code: str | None  # the canonical code (16 characters of the alphabet)
    stamp: StampId | None
    outcome: str  # PLAIN, REPAIRED or KEYBOARD
    reason: str  # why it is not a code ("" when it is), for the log
    candidates: int = 0  # keyboard readings tried


class _Letter(NamedTuple):
    raw: str  # the character as received (upper case, NFC)
    base: str  # its Latin letter ("" for a character the repair does not know)
    shape: str  # shape mark ("" none)
    tone: str  # tone mark ("" none)
    word_start: bool  # a separator (or the start) comes right before it


def _is_separator(ch: str) -> bool:
    return ch in _SEPARATORS or unicodedata.category(ch) in _SEPARATOR_CATEGORIES


def _letters(raw: str) -> list[_Letter]:
    """The characters of ``raw`` (case-folded to upper, NFKC then NFC) without separators."""
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", raw).upper())
    out: list[_Letter] = []
    start = True
    for ch in text:
        if _is_separator(ch):
            start = True
            continue
        if ch.isascii():
            out.append(_Letter(ch, ch, "", "", start))
        else:
            out.append(_vietnamese(ch, start))
        start = False
    return out


def _vietnamese(ch: str, start: bool) -> _Letter:
    """An accented letter split into base, shape and tone; base "" if no Vietnamese keyboard makes it."""
    if ch == "Đ":
        return _Letter(ch, "D", _STROKE, "", start)
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    shape = [m for m in marks if (base, m) in _SHAPES]
    tone = [m for m in marks if m in _TONES]
    if (
        len(shape) + len(tone) != len(marks)
        or len(shape) > 1
        or len(tone) > 1
        or (tone and base not in _VOWELS)
        or not marks
    ):
        return _Letter(ch, "", "", "", start)
    return _Letter(ch, base, shape[0] if shape else "", tone[0] if tone else "", start)


def _canon(ch: str) -> str | None:
    """A typed key as a code character ("" if a separator), or None outside the alphabet."""
    if ch in _SEPARATORS:
        return ""
    ch = _CANON.get(ch, ch)
    return ch if ch in _ALPHABET_SET else None


@lru_cache(maxsize=512)
def _tone_chains(tone: str, method: int, vowel: bool) -> tuple[tuple[str, ...], ...]:
    """The tone keys typed for a letter, in order: its tone, after at most two it replaced
    (``ASF`` -> ``À``); for a vowel without a tone, nothing, or one or two tones taken off
    again (Telex ``ASZ``, VNI ``A10`` -> ``A``)."""
    keys = [_TONES[t][method] for t in _TONES]
    chains: list[tuple[str, ...]]
    if tone:
        final = _TONES[tone][method]
        chains = [(final,)]
        for p in keys:
            if p != final:
                chains.append((p, final))
                chains.extend((q, p, final) for q in keys if q != p)
        return tuple(chains)
    chains = [()]
    remover = _REMOVERS[method]
    if vowel and remover:
        for p in keys:
            chains.append((p, remover))
            chains.extend((q, p, remover) for q in keys if q != p)
    return tuple(chains)


@lru_cache(maxsize=512)
def _key_readings(base: str, shape: str, tone: str) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    """Every (letter typed, keys typed after it in order, keys of tones that did not stay) that
    yields this letter, as code characters.

    Under each method: the shape key anywhere among the tone keys (``EES``, ``ESE`` -> ``Ế``);
    Telex's ``W`` alone gives ``Ư``. Readings with a key outside the code alphabet (a U, VIQR's
    ``^`` ``+`` ``'`` ...) are left out; VIQR's ``.`` and ``-`` are separators and vanish.
    """
    readings: set[tuple[str, tuple[str, ...], int]] = set()
    shapes = _SHAPES[(base, shape)] if shape else ((), (), ())
    for method in range(3):
        for chain in _tone_chains(tone, method, base in _VOWELS):
            gone = len(chain) - (1 if tone else 0)
            for shape_key in shapes[method] or ("",):
                spots = range(len(chain) + 1) if shape_key else (0,)
                for at in spots:
                    keys = (*chain[:at], shape_key, *chain[at:]) if shape_key else chain
                    readings.add((base, keys, gone))
                    if base == "U" and shape and method == 0:
                        readings.add(("W", chain, gone))  # Telex: W alone is Ư
    out: set[tuple[str, tuple[str, ...], int]] = set()
    for typed_base, keys, gone in readings:
        b = _canon(typed_base)
        canon = [_canon(k) for k in keys]
        if not b or any(k is None for k in canon):
            continue
        out.add((b, tuple(k for k in canon if k), gone))
    return tuple(sorted(out))


class _Option(NamedTuple):
    emit: str  # code characters typed for this character
    now: str  # keys typed right after it
    later: tuple[tuple[int, str], ...]  # (letters after it, key): keys typed for it further on
    lost: int  # keys that left no trace: pressed twice, tones replaced or taken off again
    size: int  # characters of the reading it accounts for


Options = dict[int, tuple[_Option, ...]]  # by size


@lru_cache(maxsize=4096)
def _letter_options(base: str, shape: str, tone: str, room: int, most_keys: int, plain: bool) -> Options:
    """The readings of one letter with at most ``most_keys`` keys, each key placed right after
    it or after up to ``room`` letters; ``plain``: an unaccented vowel (its keys left no trace)."""
    out: dict[_Option, None] = {}
    for typed_base, keys, gone in _key_readings(base, shape, tone):
        if (plain and not keys) or len(keys) > most_keys or gone > MAX_LOST:
            continue  # (a plain vowel's reading without keys is the vowel itself, added by the caller)
        for delays in combinations_with_replacement(range(room + 1), len(keys)):
            now = "".join(k for d, k in zip(delays, keys, strict=True) if d == 0)
            later = tuple((d, k) for d, k in zip(delays, keys, strict=True) if d)
            out[_Option(typed_base, now, later, gone, len(typed_base) + len(keys))] = None
    return _by_size(out)


def _by_size(options: Iterable[_Option]) -> Options:
    grouped: dict[int, list[_Option]] = {}
    for opt in options:
        grouped.setdefault(opt.size, []).append(opt)
    return {size: tuple(opts) for size, opts in sorted(grouped.items())}


def _options(letters: list[_Letter]) -> list[Options] | None:
    """For each character, what may have been typed for it (by size); None if some character has no reading."""
    most_keys = CODE_LENGTH - len(letters)  # every character stands for at least one typed one
    if most_keys < 0:
        return None
    out: list[Options] = []
    for i, letter in enumerate(letters):
        if letter.raw.isascii():
            c = _canon(letter.raw)
            if not c:
                return None
            opts = [_Option(c, "", (), 0, 1)]
            if most_keys and _may_be_undone(letters, i):
                opts.append(_Option(c + c, "", (), 1, 2))
            if most_keys > 1 and letter.raw in _VOWELS:  # a tone typed, then taken off again
                removed = _letter_options(letter.raw, "", "", _room(letters, i), min(most_keys, MAX_LOST), True)
                opts.extend(opt for group in removed.values() for opt in group)
            out.append(_by_size(opts) if len(opts) > 1 else {1: (opts[0],)})
        elif letter.base:
            # (no reading has more than 4 keys: a shape and three tones; one cache entry for 4 and up)
            keys = min(most_keys, 4)
            opts_by_size = _letter_options(letter.base, letter.shape, letter.tone, _room(letters, i), keys, False)
            if not opts_by_size:
                return None
            out.append(opts_by_size)
        else:
            return None
    return out


def _room(letters: list[_Letter], i: int) -> int:
    """How many letters may come between letter ``i`` and a key typed for it: the rest of its
    syllable -- vowels of its vowel group and a final consonant (C, CH, M, N, NG, NH, P, T)."""
    follow = ""
    for letter in letters[i + 1 : i + 1 + MAX_DELAY]:
        if letter.word_start or not letter.raw.isalpha():
            break
        follow += letter.base or letter.raw
    while follow and not _may_follow(follow):
        follow = follow[:-1]
    return len(follow)


def _may_follow(letters: str) -> bool:
    if len(letters) == 1:
        return letters in _VOWELS or letters in _CODA
    return letters in _CODA_PAIRS or (letters[0] in _VOWELS and (letters[1] in _VOWELS or letters[1] in _CODA))


def _may_be_undone(letters: list[_Letter], i: int) -> bool:
    """Whether the key at ``i`` may be what is left of the same key pressed twice (an undo)."""
    key = letters[i].raw
    before: list[str] = []
    j = i - 1
    while not letters[j + 1].word_start and j >= 0 and len(before) < 3:
        before.append(letters[j].base or letters[j].raw)
        j -= 1
    if key == "W":
        return True  # Telex: W -> Ư, WW -> W (and AW -> Ă, AWW -> AW)
    if key in _TELEX_SHAPE_KEYS:
        return bool(before) and before[0] == key  # AA -> Â, AAA -> AA; DD -> Đ, DDD -> DD
    if key in _TONE_KEYS or key in _VNI_SHAPE_KEYS:
        return any(ch in _VOWELS or ch == "D" for ch in before)  # AS -> Á, ASS -> AS; A6 -> Â, A66 -> A6
    return False


class _TooMany(Exception):
    """More than ``MAX_CANDIDATES`` readings: the repair gives up rather than guess."""


def _checked_readings(options: list[Options]) -> tuple[list[str], int]:
    """The readings of exactly ``CODE_LENGTH`` characters that pass the check symbol, and how
    many readings there were (``_TooMany`` past ``MAX_CANDIDATES``). Depth first, pruned by
    length; the check symbol's sum is carried along, so only passing readings are joined."""
    n = len(options)
    # min_rest[i]: fewest characters letters i.. can stand for; max_rest[i][b]: most, with at
    # most b keys that left no trace -- so a branch that cannot reach CODE_LENGTH is never taken
    min_rest = [0] * (n + 1)
    max_rest = [[0] * (MAX_LOST + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        min_rest[i] = min_rest[i + 1] + min(options[i])
        most = [-CODE_LENGTH] * (MAX_LOST + 1)  # by keys lost at letter i
        for size, opts in options[i].items():
            for opt in opts:
                if opt.lost <= MAX_LOST:
                    most[opt.lost] = max(most[opt.lost], size)
        for budget in range(MAX_LOST + 1):
            max_rest[i][budget] = max(most[k] + max_rest[i + 1][budget - k] for k in range(budget + 1))
    passing: list[str] = []
    if not min_rest[0] <= CODE_LENGTH <= max_rest[0][MAX_LOST]:
        return passing, 0
    rows, digit = CHECK_ROWS, DIGITS
    parts: list[str] = []
    pending: list[list[str]] = [[] for _ in range(n)]  # keys of earlier letters typed after letter i
    # a character with one reading of itself (most of them): no choice to make there
    fixed = [
        len(opts) == 1 and len(opts.get(1, ())) == 1 and not opts[1][0].now and not opts[1][0].later for opts in options
    ]
    tried = 0

    def walk(i: int, size: int, pos: int, lost: int, acc: int) -> None:
        nonlocal tried
        mark = len(parts)
        while i < n and fixed[i]:
            piece = options[i][1][0].emit + "".join(pending[i]) if pending[i] else options[i][1][0].emit
            for ch in piece:
                acc ^= rows[pos][digit[ch]]
                pos += 1
            parts.append(piece)
            i += 1
            size += 1
        if i == n:
            tried += 1
            if tried > MAX_CANDIDATES:
                raise _TooMany
            if acc == 0:
                passing.append("".join(parts))
        else:
            choose(i, size, pos, lost, acc)
        del parts[mark:]

    def choose(i: int, size: int, pos: int, lost: int, acc: int) -> None:
        for extra, opts in options[i].items():
            total = size + extra
            if total + min_rest[i + 1] > CODE_LENGTH:
                continue
            for opt in opts:
                if lost + opt.lost > MAX_LOST or total + max_rest[i + 1][MAX_LOST - lost - opt.lost] < CODE_LENGTH:
                    continue
                for d, k in opt.later:
                    pending[i + d].append(k)
                earlier = "".join(pending[i])
                # this letter's own keys and an earlier letter's late keys: typed in either order
                tails = (opt.now + earlier, earlier + opt.now) if opt.now and earlier else (opt.now + earlier,)
                for tail in tails:
                    piece = opt.emit + tail
                    a, p = acc, pos
                    for ch in piece:
                        a ^= rows[p][digit[ch]]
                        p += 1
                    parts.append(piece)
                    walk(i + 1, total, p, lost + opt.lost, a)
                    parts.pop()
                for d, _k in opt.later:
                    pending[i + d].pop()

    walk(0, 0, 0, 0, 0)
    return passing, tried


def looks_typed(raw: str) -> bool:
    """Whether ``raw`` is made only of what ``read`` understands (for syntax checks before a key is at hand)."""
    if len(raw) > MAX_INPUT:
        return False
    letters = _letters(unquote(raw) if "%" in raw else raw)
    return bool(letters) and all(
        (letter.raw.isascii() and letter.raw.isalnum()) or (not letter.raw.isascii() and letter.base)
        for letter in letters
    )


MAX_PASTED = 512  # characters of a pasted URL read for its code
# A label URL of our own shapes pasted whole into the code box: /v/{code}, /01/{gtin}/.../21/{code},
# /v?code={code}; with or without a scheme and host (a host without a scheme has a dot).
_PASTED = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://[^/?#\s]+|[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?)?"
    r"(?:/v/(?P<path>[^/?#]+)/?(?:[?#].*)?|/01/[^?#]*?/21/(?P<serial>[^/?#]+)/?(?:[?#].*)?"
    r"|/v/?\?(?:[^#]*&)?code=(?P<query>[^&#]+).*)$",
    re.IGNORECASE | re.DOTALL,
)


def unwrap(raw: str) -> str:
    """The code inside what arrived: percent-encoding undone up to three times (a link
    encoded twice by a print shop or an app: ``%2520`` -> ``%20`` -> a space), and a whole
    label URL of our own shapes (``_PASTED``) reduced to its code. Only a ``%`` escape or a
    URL is removed, never a character of a code: an unknown code stays unknown."""
    if len(raw) > MAX_PASTED:
        return raw
    for _ in range(3):
        once = unquote(raw) if "%" in raw else raw
        if once == raw:
            break
        raw = once
    pasted = _PASTED.match(raw.strip()) if "/" in raw else None
    if pasted:
        raw = next(v for v in pasted.group("path", "serial", "query") if v)
        raw = unquote(unquote(raw.replace("+", " "))) if "%" in raw or "+" in raw else raw
    return raw


def read(raw: str, keys: CodeKeys) -> Typed:
    """How ``raw`` reads as a code (see the module docstring); no I/O, at most ``MAX_CANDIDATES`` decodes' worth of work."""
    if "%" in raw or "/" in raw:
        raw = unwrap(raw)
    if len(raw) > MAX_INPUT:
        return Typed(raw[:32].upper(), None, None, PLAIN, "too long")
    letters: list[_Letter] | None = None
    if raw.isascii():  # the usual case, kept cheap: a QR's own text, or a code typed in Latin letters
        text = raw.upper().translate(_ASCII_DROP)
    else:
        letters = _letters(raw)
        text = "".join(letter.raw for letter in letters)
    if text.isascii():
        try:
            stamp = decode(keys, text)
        except InvalidCode as exc:
            short = CODE_LENGTH - len(normalize(text))
            if 0 < short <= MAX_LOST:  # a key pressed twice may have eaten one character
                found = _repair(_letters(raw) if letters is None else letters, keys)
                if found.code is not None:
                    return found._replace(text=text)
            return Typed(text, None, None, PLAIN, exc.reason)
        return Typed(text, normalize(text), stamp, PLAIN, "")
    assert letters is not None
    found = _repair(letters, keys)
    if found.code is None and not any(not letter.raw.isascii() and letter.base for letter in letters):
        # no letter a Vietnamese keyboard makes (Chinese, emoji, ...): an ordinary wrong code
        return Typed(text, None, None, PLAIN, "character outside the code alphabet", found.candidates)
    return found._replace(text=text)


def _repair(letters: list[_Letter], keys: CodeKeys) -> Typed:
    options = _options(letters)
    if options is None:
        return Typed("", None, None, KEYBOARD, "character outside the code alphabet")
    try:
        passing, tried = _checked_readings(options)
    except _TooMany:
        return Typed("", None, None, KEYBOARD, f"more than {MAX_CANDIDATES} keyboard readings", MAX_CANDIDATES + 1)
    found: dict[str, StampId] = {}
    for reading in dict.fromkeys(passing):
        if not check_passes(reading):
            continue  # (never: the sum was carried along; kept as the contract's own test)
        try:
            found[reading] = decode(keys, reading)
        except InvalidCode:
            continue
        if len(found) > 1:
            return Typed("", None, None, KEYBOARD, "several keyboard readings are codes", tried)
    if len(found) == 1:
        code, stamp = next(iter(found.items()))
        return Typed("", code, stamp, REPAIRED, "", tried)
    return Typed("", None, None, KEYBOARD, "no keyboard reading is a code", tried)
