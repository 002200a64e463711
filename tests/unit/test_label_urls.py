"""One stamp, one label URL (DESIGN.md, "Label URL"): ``codes.labels`` is the only module that
spells a stamp's URL. Everything else -- codes.csv, print files, job manifests, the scan's
JSON, EPCIS identifiers, the Digital Link resolver's links -- calls it, so a product with a
GTIN never gets a ``/v/`` URL in one place and a Digital Link in another.
The same URL end to end, through the API: tests/integration/test_label_url.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ocop_stamps.codes.labels import label_url, page_url
from ocop_stamps.epcis.events import stamp_uri

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    ROOT / "layers/domain/ocop_stamps",
    ROOT / "functions",
    ROOT / "infra/local/ocop_local",
    ROOT / "cli/ocop_stamps_cli",
]
THE_ONE_MODULE = ROOT / "layers/domain/ocop_stamps/codes/labels.py"
# An f-string building a stamp URL: a code after /v/ or after AI 21 (serial) of a Digital Link.
_STAMP_URL = re.compile(r"/v/\{\}|/21/\{\}")
BASE = "https://tem.example.vn"
CODE = "1ABCDEFGHJKMNPQR"


def _f_string_shapes(path: Path) -> list[tuple[int, str]]:
    """Every f-string of a module as text with ``{}`` for each replacement field."""
    shapes = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            shapes.append((node.lineno, str(text)))
    return shapes


def test_given_the_code_base_then_only_codes_labels_spells_a_stamp_url():
    spelled = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for root in SOURCES
        for path in sorted(root.rglob("*.py"))
        if path != THE_ONE_MODULE
        for line, text in _f_string_shapes(path)
        if _STAMP_URL.search(text)
    ]
    assert spelled == []


def test_given_the_guard_when_a_module_spells_a_stamp_url_then_it_is_found(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text('def url(base, code):\n    return f"{base}/v/{code}"\n', encoding="utf-8")
    assert [text for _, text in _f_string_shapes(module) if _STAMP_URL.search(text)] == ["{}/v/{}"]


@pytest.mark.parametrize(
    ("gtin", "label"),
    [
        (None, f"{BASE}/v/{CODE}"),
        ("8930000000019", f"{BASE}/01/08930000000019/21/{CODE}"),  # GTIN-13 printed as GTIN-14
    ],
)
def test_given_a_product_with_or_without_a_gtin_then_label_epcis_and_bulk_prefix_agree(gtin, label):
    assert label_url(BASE, CODE, gtin) == label
    assert label_url(BASE, "", gtin) + CODE == label  # the prefix CSV and print files append codes to
    epc = stamp_uri(BASE, CODE, gtin)
    if gtin:  # EPCIS: the label's own path on GS1's canonical domain
        assert epc == "https://id.gs1.org" + label.removeprefix(BASE)
    else:
        assert epc == label


def test_given_a_product_without_a_gtin_then_its_label_is_its_page():
    assert label_url(BASE, CODE) == page_url(BASE, CODE)
