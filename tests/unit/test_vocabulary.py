"""The stable words of the service (``ocop_stamps.core``), held once (issue 10).

Each enum's tables cover every member and nothing else; no module outside ``core`` spells
out a copy of one (a copy drifts: the consumer page once showed ``community_tourism`` raw
because its own group table said ``tourism_service``); request schemas accept exactly
the enum's values; the stand-alone CLI, which may not import the domain, offers the same
choices the API accepts.
"""

from __future__ import annotations

import ast
import enum
from pathlib import Path
from typing import Any, get_args

import pytest

from ocop_stamps.catalog.schemas import ProducerIn, ProductIn
from ocop_stamps.core.vocabulary import (
    ALERT_TYPE_LABELS,
    CHECK_DISPOSITIONS,
    LOG_VERDICT_LABELS,
    LOOKUP,
    OCOP_GROUP_LABELS,
    PRODUCER_KIND_LABELS,
    REPORT,
    STATUS_ALERTS,
    VERDICT_LABELS,
    VOID_REASON_LABELS,
    AlertStatus,
    AlertType,
    CheckResult,
    OcopGroup,
    ProducerKind,
    RatingStatus,
    Verdict,
    VoidReason,
    ascii_text,
)
from ocop_stamps.inspection.queries import KEY_ORDER
from ocop_stamps.inspection.schemas import AlertStatusChange, FieldCheck
from ocop_stamps.lifecycle.schemas import VoidIn
from ocop_stamps.places import provinces
from ocop_stamps.places.scopes import code_of
from ocop_stamps.printing.qr import ERROR_LEVELS, ErrorLevel
from ocop_stamps.printing.schemas import PrintFilesIn
from ocop_stamps.printing.sheets import PRESETS, Preset
from ocop_stamps_cli.inspector import FILTERS
from ocop_stamps_cli.main import parser

ROOT = Path(__file__).resolve().parents[2]

LABEL_TABLES: list[tuple[str, dict[Any, tuple[str, str]], type[enum.StrEnum]]] = [
    ("VERDICT_LABELS", VERDICT_LABELS, Verdict),
    ("PRODUCER_KIND_LABELS", PRODUCER_KIND_LABELS, ProducerKind),
    ("OCOP_GROUP_LABELS", OCOP_GROUP_LABELS, OcopGroup),
    ("VOID_REASON_LABELS", VOID_REASON_LABELS, VoidReason),
    ("ALERT_TYPE_LABELS", ALERT_TYPE_LABELS, AlertType),
]
ENUMS = [Verdict, ProducerKind, OcopGroup, RatingStatus, VoidReason, AlertType, AlertStatus, CheckResult]


# --- each table covers its enum ----------------------------------------------------------------
@pytest.mark.parametrize(("name", "table", "members"), LABEL_TABLES, ids=[t[0] for t in LABEL_TABLES])
def test_given_a_label_table_when_read_then_it_names_every_member_of_its_enum_in_both_languages(
    name: str, table: dict[Any, tuple[str, str]], members: type[enum.StrEnum]
) -> None:
    assert list(table) == list(members), name  # every member, nothing else, in the enum's order
    for member, (vi, en) in table.items():
        assert vi.strip() and en.strip(), member
        assert vi != member.value, f"{name}: the Vietnamese label of {member} is its key"
    vi_labels = [vi for vi, _ in table.values()]
    assert len(set(vi_labels)) == len(vi_labels), f"{name}: two members read the same"


def test_given_the_scan_log_labels_when_read_then_they_are_the_verdicts_the_report_the_lookup_then_pin_entries() -> (
    None
):
    pin_entries = ["pin_already_claimed", "pin_locked", "pin_wrong", "pin_first"]  # issue 14, most serious first
    assert list(LOG_VERDICT_LABELS) == [*Verdict, REPORT, LOOKUP, *pin_entries, "pin_download"]
    assert REPORT not in set(Verdict) and LOOKUP not in set(Verdict)


def test_given_the_status_alerts_when_read_then_each_verdict_raises_the_alert_named_after_it() -> None:
    for verdict, alert_type in STATUS_ALERTS.items():
        assert alert_type is AlertType(f"{verdict}_scanned")
    assert Verdict.genuine not in STATUS_ALERTS and Verdict.repeat not in STATUS_ALERTS


def test_given_the_field_check_results_when_read_then_each_has_its_disposition() -> None:
    assert list(CHECK_DISPOSITIONS) == list(CheckResult)
    assert CHECK_DISPOSITIONS[CheckResult("pass")] == "conformant"


def test_given_the_provinces_when_read_then_34_codes_each_with_one_name_and_63_old_codes_each_in_one() -> None:
    assert len(provinces.CURRENT) == 34
    assert len({p.name for p in provinces.CURRENT.values()}) == 34
    assert all(code_of(p.name) == code == code_of(code) for code, p in provinces.CURRENT.items())
    assert len({p.iso for p in provinces.OLD.values()}) == 63
    assert all(code_of(p.iso) == code_of(p.name) == p.now for p in provinces.OLD.values())


def test_given_the_print_options_when_read_then_each_literal_type_is_exactly_its_table() -> None:
    assert list(get_args(Preset)) == list(PRESETS)
    assert all(sheet.name == name for name, sheet in PRESETS.items())
    assert list(get_args(ErrorLevel)) == list(ERROR_LEVELS)


def test_given_vietnamese_when_made_ascii_then_only_the_diacritics_go() -> None:
    assert ascii_text("Quét lặp lại trong 24 giờ") == "Quet lap lai trong 24 gio"
    assert ascii_text("Đắk Lắk, đồng") == "Dak Lak, dong"
    assert all(ascii_text(vi).isascii() for vi, _ in ALERT_TYPE_LABELS.values())


# --- the schemas accept exactly the enum ---------------------------------------------------------
def _enum_of(model: Any, field: str) -> list[str]:
    schema = model.model_json_schema(mode="validation")
    prop = schema["properties"][field]
    if "$ref" in prop:
        prop = schema["$defs"][prop["$ref"].rsplit("/", 1)[-1]]
    return prop["enum"] if "enum" in prop else [prop["const"]]


@pytest.mark.parametrize(
    ("model", "field", "members"),
    [
        (ProductIn, "group", list(OcopGroup)),
        (ProducerIn, "kind", list(ProducerKind)),
        (VoidIn, "reason", list(VoidReason)),
        (FieldCheck, "result", list(CheckResult)),
        (AlertStatusChange, "status", [s for s in AlertStatus if s is not AlertStatus.open]),
    ],
    ids=["group", "producer kind", "void reason", "check result", "alert status"],
)
def test_given_a_request_schema_when_read_then_it_accepts_exactly_the_core_values(
    model: Any, field: str, members: list[enum.StrEnum]
) -> None:
    assert _enum_of(model, field) == [m.value for m in members]


# --- nothing outside core spells out a copy ----------------------------------------------------
SCANNED = [
    *(ROOT / "layers/domain/ocop_stamps").rglob("*.py"),
    *(ROOT / "functions").rglob("*.py"),
    *(ROOT / "infra/local/ocop_local").rglob("*.py"),
]
CORE = ROOT / "layers/domain/ocop_stamps/core"
PLACES = ROOT / "layers/domain/ocop_stamps/places"  # the province tables' own home (generated)


def _string_collections(tree: ast.AST) -> list[tuple[int, list[str]]]:
    """Every dict (its keys), set, list or tuple literal (``Literal[...]`` included) of the module, as its strings."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            items: list[ast.expr | None] = list(node.keys)
        elif isinstance(node, ast.Set | ast.List | ast.Tuple):
            items = list(node.elts)
        else:
            continue
        strings = [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
        if strings:
            found.append((node.lineno, strings))
    return found


def _copies(strings: list[str]) -> list[str]:
    """The core tables a literal repeats: three or more of one table's words, and mostly those."""
    tables: list[tuple[str, set[str]]] = [(e.__name__, {m.value for m in e}) for e in ENUMS]
    tables += [
        ("provinces.OLD (ISO codes)", {p.iso for p in provinces.OLD.values()}),
        ("provinces.CURRENT", {p.name for p in provinces.CURRENT.values()}),
    ]
    out = []
    for name, words in tables:
        hits = [s for s in strings if s in words]
        if len(hits) >= 3 and 2 * len(hits) >= len(strings):
            out.append(f"{name}: {hits}")
    return out


def test_given_the_code_when_read_then_no_module_outside_core_holds_a_copy_of_a_core_table() -> None:
    offenders = []
    for path in SCANNED:
        if path.is_relative_to(CORE) or path.is_relative_to(PLACES):
            continue
        for line, strings in _string_collections(ast.parse(path.read_text(encoding="utf-8"))):
            offenders += [f"{path.relative_to(ROOT)}:{line}: {c}" for c in _copies(strings)]
    assert not offenders, "import these from ocop_stamps.core instead:\n" + "\n".join(offenders)


def test_given_the_table_check_when_fed_a_copy_then_it_finds_it() -> None:
    source = 'GROUP = {"food": 1, "beverage": 2, "herbal": 3, "tourism_service": 4}\nX = ("VN-01", "VN-02", "VN-03")'
    found = [c for _, s in _string_collections(ast.parse(source)) for c in _copies(s)]
    assert [f.split(":")[0] for f in found] == ["OcopGroup", "provinces.OLD (ISO codes)"]


# --- the CLI (standard library only, its own package) offers what the API accepts ---------------------
def _choices(parser: Any, command: str, option: str) -> list[str]:
    sub = next(a for a in parser._actions if a.choices and command in a.choices).choices[command]
    return list(next(a for a in sub._actions if option in a.option_strings or a.dest == option).choices)


def test_given_the_cli_when_its_choices_are_read_then_they_are_what_the_api_accepts() -> None:
    cli = parser()

    assert _choices(cli, "alerts", "--status") == list(AlertStatus)
    assert FILTERS == KEY_ORDER
    assert _choices(cli, "print", "--format") == list(get_args(PrintFilesIn.model_fields["format"].annotation))
    assert _choices(cli, "print", "--preset") == list(PRESETS)
