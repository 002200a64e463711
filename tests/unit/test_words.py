"""The words people read (docs/WORDS.md): one catalogue per language with the same keys, and no
Vietnamese text anywhere in the domain that carries a raw key, an English field name or an
English word.

The scan reads every string literal of ``layers/domain`` and ``functions`` (an AST walk, f-strings
included, their values read as ``{}``) and takes as Vietnamese: the Vietnamese message of every
error (``message_vi``: the second argument of a ``DomainError`` subclass, the third of
``error_body``/``error_response``), every value of ``core/words/vi.py``, and any other literal that
is not a docstring and whose words are mostly Vietnamese (at least a quarter carry a Vietnamese
letter, once the parts in brackets and quotes are set aside). In such a text, a name a developer
needs (a JSON field, a query parameter, a value to send) is allowed only inside backticks:
"hạn sử dụng (`expiry_date`)". Everything else is read word by word against ``ENGLISH``.
"""

from __future__ import annotations

import ast
import re
import string
import unicodedata
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pytest

from ocop_stamps.core import vocabulary, words
from ocop_stamps.core.words import en, vi

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "layers" / "domain", ROOT / "functions"]

VI_LETTER = re.compile("[ăâđêôơưàáạảãằắặẳẵầấậẩẫèéẹẻẽềếệểễìíịỉĩòóọỏõồốộổỗờớợởỡùúụủũừứựửữỳýỵỷỹ]", re.IGNORECASE)

ENGLISH = frozenset(
    """
    the of and or is are not must should be with for from at by this that it its
    code codes batch lot lots serial serials stamp stamps scan scans product products producer
    producers province provinces district districts commune communes expiry date dates time
    field fields key keys value values body null none true false utc gmt id ids
    status reason note page limit rows cursor range first last error invalid required missing
    demo void voided recall recalled report reports alert alerts inspector inspectors genuine
    unknown repeat expired lapsed withdrawn valid pending open resolved dismissed acknowledged
    quantity unit origin rating ratings stars certificate decision issuing level
    type kind result verdict verdicts chart group groups name phone address street hamlet
    days preset custom token bearer
    """.split()
)
"""English words that are no Vietnamese syllable, kept out of Vietnamese texts: the field and
entity names of the API (a Vietnamese sentence says "hạn sử dụng", "đợt tem", "lô"), JSON
literals, time zones, and the words of the verdicts and states, which reach people only
through their labels. Words that are also Vietnamese syllables (in, to, do, an, no, con, sao,
tem, ...) are left out on purpose. docs/WORDS.md keeps the reasons."""

ALLOWED: dict[tuple[str, str], str] = {
    # (file relative to the repository, word): why it is right there
    ("layers/domain/ocop_stamps/inspection/queries.py", "utc"): (
        "the CSV export's column of the stored UTC time, next to the column in Vietnam time"
    ),
}


def _enum_values() -> set[str]:
    values: set[str] = set()
    for thing in vars(vocabulary).values():
        if isinstance(thing, type) and issubclass(thing, StrEnum) and thing is not StrEnum:
            values |= {m.value for m in thing}
    return values


RAW_KEYS = _enum_values()

ERRORS = {"DomainError": 1, "error_body": 2, "error_response": 3}
"""Callables known to take a Vietnamese message, and its position; ``_vietnamese_positions``
adds every subclass of an error and every function with a ``message_vi`` or ``vi`` parameter."""


def _trees() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for base in SOURCES
        for path in sorted(base.rglob("*.py"))
    ]


def _vietnamese_positions(trees: list[tuple[str, ast.Module]]) -> dict[str, int]:
    positions = dict(ERRORS)
    nodes = [n for _, tree in trees for n in ast.walk(tree)]
    for node in nodes:
        if isinstance(node, ast.FunctionDef):
            names = [a.arg for a in node.args.args]
            for wanted in ("message_vi", "vi"):
                if wanted in names and node.name not in positions:
                    positions[node.name] = names.index(wanted) - (names[:1] == ["self"])
    grew = True
    while grew:  # subclasses of subclasses of DomainError take it where DomainError does
        grew = False
        for node in nodes:
            if isinstance(node, ast.ClassDef) and node.name not in positions:
                bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
                if any(b in positions and positions[b] == 1 and b[:1].isupper() for b in bases):
                    positions[node.name] = 1
                    grew = True
    return positions


def _text(node: ast.AST) -> str | None:
    """A literal's text: a string, an f-string (values as ``{}``), or concatenations of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None or right is None else left + right
    return None


def _aside(text: str) -> str:
    """``text`` without what is allowed to name things raw: `backticks`, {placeholders}, URLs."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    return re.sub(r"https?://\S+", " ", text)


def _mostly_vietnamese(text: str) -> bool:
    plain = re.sub(r"\([^()]*\)|'[^']*'|\"[^\"]*\"|“[^”]*”", " ", _aside(text))
    tokens = re.findall(r"\w+", plain)
    return bool(tokens) and sum(bool(VI_LETTER.search(t)) for t in tokens) / len(tokens) >= 0.25


def vietnamese_texts() -> Iterator[tuple[str, int, str]]:
    """(file, line, text) of every Vietnamese literal in the domain and the functions."""
    trees = _trees()
    positions = _vietnamese_positions(trees)
    for rel, tree in trees:
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        taken: set[int] = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            at = positions.get(name)
            vi_arg = node.args[at] if at is not None and len(node.args) > at else None
            vi_arg = next((k.value for k in node.keywords if k.arg in ("message_vi", "vi")), vi_arg)
            text = _text(vi_arg) if vi_arg is not None else None
            if text is not None and vi_arg is not None:
                taken |= {id(n) for n in ast.walk(vi_arg)}
                yield rel, node.lineno, text
        for node in ast.walk(tree):
            if id(node) in docs or id(node) in taken:
                continue
            if isinstance(node, ast.JoinedStr):  # an f-string is read whole, its values as {}
                taken |= {id(n) for n in ast.walk(node)}
                text = _text(node) or ""
                if VI_LETTER.search(text) and _mostly_vietnamese(text):
                    yield rel, node.lineno, text
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and VI_LETTER.search(node.value):
                if rel.endswith("core/words/vi.py") or _mostly_vietnamese(node.value):
                    yield rel, node.lineno, node.value


def _faults(rel: str, text: str) -> list[str]:
    shown = _aside(text)
    found = []
    for word in re.findall(r"\w+", shown):
        if VI_LETTER.search(word):
            continue
        lower = word.lower()
        if (rel, lower) in ALLOWED:
            continue
        if "_" in word or re.search(r"[a-z][A-Z]", word):
            found.append(f"raw name {word!r}")
        elif lower in ENGLISH:
            found.append(f"English word {word!r}")
        elif word in RAW_KEYS and word.islower():
            found.append(f"raw key {word!r}")
    return found


# --- the catalogue ---------------------------------------------------------------------------
def test_given_the_catalogue_then_both_languages_hold_the_same_keys() -> None:
    assert set(vi.TEXTS) == set(en.TEXTS)


def test_given_the_catalogue_then_every_key_is_stable_ascii() -> None:
    allowed = set(string.ascii_lowercase + string.digits + "._")
    assert [k for k in vi.TEXTS if not set(k) <= allowed or k.startswith(".") or k.endswith(".")] == []


def test_given_a_key_then_both_languages_take_the_same_placeholders() -> None:
    def names(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}

    assert [k for k in vi.TEXTS if names(vi.TEXTS[k]) != names(en.TEXTS[k])] == []


def test_given_the_catalogue_then_every_text_is_nfc_and_none_is_empty() -> None:
    texts = [*vi.TEXTS.values(), *en.TEXTS.values()]
    assert [t for t in texts if not t.strip() or unicodedata.normalize("NFC", t) != t] == []


def test_given_a_key_when_asked_in_a_language_then_that_languages_words_with_values_filled() -> None:
    assert words.text("page.on_date", "vi", date="21/11/2026") == " ngày 21/11/2026"
    assert words.text("page.on_date", "en", date="21/11/2026") == " on 21/11/2026"
    assert words.text("page.on_date", "fr", date="21/11/2026") == " ngày 21/11/2026"  # Vietnamese by default
    assert words.section("void_reason")["lost"] == ("tem thất lạc", "lost")
    with pytest.raises(KeyError):
        words.text("page.no_such_key")


def test_given_every_enum_of_the_vocabulary_that_people_read_then_each_member_has_words() -> None:
    labelled = {
        vocabulary.Verdict: vocabulary.VERDICT_LABELS,
        vocabulary.ProducerKind: vocabulary.PRODUCER_KIND_LABELS,
        vocabulary.OcopGroup: vocabulary.OCOP_GROUP_LABELS,
        vocabulary.IssuingLevel: vocabulary.ISSUING_LEVEL_LABELS,
        vocabulary.RatingAction: vocabulary.RATING_ACTION_LABELS,
        vocabulary.VoidReason: vocabulary.VOID_REASON_LABELS,
        vocabulary.AlertType: vocabulary.ALERT_TYPE_LABELS,
    }
    for enum, labels in labelled.items():
        assert set(labels) == set(enum), enum.__name__
        assert all(vi_words != member.value for member, (vi_words, _) in labels.items())


# --- every Vietnamese text of the code -------------------------------------------------------
def test_given_the_scan_then_it_finds_the_known_kinds_of_text() -> None:
    found = list(vietnamese_texts())
    files = {rel for rel, _, _ in found}
    # an error's message, a page's words, a label, a message built by an f-string
    assert "layers/domain/ocop_stamps/core/errors.py" in files
    assert "layers/domain/ocop_stamps/core/words/vi.py" in files
    assert any("{}" in text for _, _, text in found)
    assert len(found) > 300


def test_given_the_rule_then_a_text_with_a_raw_field_or_an_english_word_is_caught() -> None:
    rel = "layers/domain/ocop_stamps/x.py"
    assert _faults(rel, "expiry_date phải sau ngày sản xuất") == ["raw name 'expiry_date'"]
    assert _faults(rel, "Lô đã bị thu hồi từ {} UTC.") == ["English word 'UTC'"]
    assert _faults(rel, "Trạng thái phải là open") == ["English word 'open'"]
    assert _faults(rel, "Lý do: misprinted") == ["raw key 'misprinted'"]
    assert _faults(rel, "hạn sử dụng (`expiry_date`) phải sau ngày sản xuất (`production_date`)") == []
    assert _faults(rel, "Mã in dưới mã QR; tem to, in rõ") == []  # Vietnamese words that look English


def test_given_every_vietnamese_text_of_the_domain_then_no_raw_key_and_no_english_word() -> None:
    faults = [
        f"{rel}:{line}: {', '.join(found)}: {text[:90]!r}"
        for rel, line, text in vietnamese_texts()
        for found in [_faults(rel, text)]
        if found
    ]
    assert faults == []


# --- request fields in Vietnamese sentences ------------------------------------------------------
def _request_fields() -> set[str]:
    import importlib
    import pkgutil

    import ocop_stamps
    from ocop_stamps.core.schema import Strict

    names: set[str] = set()
    for info in pkgutil.walk_packages(ocop_stamps.__path__, "ocop_stamps."):
        if info.name.rsplit(".", 1)[-1] in ("schemas", "schema"):
            for thing in vars(importlib.import_module(info.name)).values():
                if isinstance(thing, type) and issubclass(thing, Strict):
                    names |= set(thing.model_fields)
    return names


def test_given_every_field_of_every_request_body_then_the_catalogue_has_its_words() -> None:
    fields = _request_fields()
    assert "expiry_date" in fields  # the walk found the schemas
    assert sorted(f for f in fields if f"field.{f}" not in vi.TEXTS) == []


def test_given_an_invalid_field_when_named_in_vietnamese_then_its_words_come_first_and_its_path_in_backticks() -> None:
    from ocop_stamps.api.resolver import field_vi

    assert field_vi("expiry_date") == "hạn sử dụng (`expiry_date`)"
    assert field_vi("process_steps.0.place.commune") == "xã, phường, đặc khu (`process_steps.0.place.commune`)"
    assert field_vi("body") == "`body`"  # no words for it: the path alone, still in backticks


def test_given_a_production_date_in_the_future_when_refused_then_the_vietnamese_names_the_field_and_no_calque() -> None:
    from ocop_stamps.api.resolver import _summary
    from ocop_stamps.core import dates

    _, message_vi = _summary(
        [{"field": "production_date", "problem": dates.PAST.too_late}, {"field": "lot_code", "problem": "missing"}]
    )

    assert message_vi == (
        "Một số trường bị thiếu hoặc không hợp lệ: ngày sản xuất (`production_date`): không được sau ngày hôm nay; "
        "mã lô (`lot_code`). Xem chi tiết."
    )
    assert "tương lai" not in message_vi


def test_given_every_field_of_the_offices_forms_when_refused_then_each_has_its_own_words_in_both_languages() -> None:
    # found by a break tester: the product form's hidden product_id had no words, so a refusal
    # of it (an edited id) raised KeyError while the page was being made: a 500
    from ocop_stamps.console import admin

    missing = [
        (form, field, lang)
        for form in ("PRODUCER_FIELDS", "PRODUCT_FIELDS", "RATING_FIELDS")
        for field in getattr(admin, form)
        for lang in ("vi", "en")
        if f"console.adm.err.{field}" not in words.CATALOGUES[lang]
    ]

    assert missing == []
