"""verify() results built by hand, one per verdict, with the banner each must show in
Vietnamese and English: the consumer-page tests render them, tests/perf/bench_consumer.py
measures them."""

from __future__ import annotations

import copy
from typing import Any

GENUINE: dict[str, Any] = {
    "code": "1ABCDEFGHJKMNPQR",
    "code_display": "1ABC-DEFG-HJKM-NPQR",
    "verdict": "genuine",
    "verdicts": ["genuine"],
    "message": {"vi": "Tem chính hãng", "en": "Genuine stamp"},
    "scanned_at": "2026-11-23T06:00:00.000Z",
    "scan": {
        "count": 1,
        "first_scanned_at": "2026-11-23T06:00:00.000Z",
        "first_province": "04",
        "first_province_name": "Tỉnh Cao Bằng",
    },
    "stamp": {"batch_id": "7", "serial": 42},
    "product": {
        "product_id": "prd_1",
        "name": "Lạp sườn Tâm Hòa",
        "name_en": "Tam Hoa sausage",
        "brand": "Tâm Hòa",
        "group": "food",
        "gtin": "08930000000019",
        "image_url": "https://img.example.vn/lap-suon.jpg",
        "description": "Lạp sườn hun khói theo cách người Tày.",
        # origin of the goods (Decree 37/2026/NĐ-CP) as catalog.views.made_in_view names it
        "made_in": {
            "country": "VN",
            "place": "Cao Bằng",
            "name": {"vi": "Cao Bằng, Việt Nam", "en": "Cao Bằng, Vietnam"},
        },
        "standards": ["TCCS 02:2024/TH", "TCVN 12850:2019"],  # as declared for the product
        "ocop": {
            "stars": 4,
            "decision": {
                "number": "1234/QĐ-UBND",
                "date": "2024-06-15",
                "issuing_level": "province",
                "issuing_body": "UBND tỉnh Cao Bằng",
            },
            "certificate": {"number": "GCN-0456/2024"},
            "valid_until": "2027-06-15",
            "status": "valid",
        },
    },
    "producer": {
        "producer_id": "tam-hoa",
        "name": "Cơ sở sản xuất lạp sườn Tâm Hòa",
        "kind": "household",
        "address": {
            "hamlet": "Tổ 5",
            "commune": "Phường Thục Phán",
            "commune_code": "01273",
            "province": "Tỉnh Cao Bằng",
            "province_code": "04",
        },
        "phone": "+84 206 385 1234",
    },
    "lot": {
        "lot_id": "lot_1",
        "lot_code": "TH-2026-11",
        "production_date": "2026-11-01",
        "expiry_date": "2027-05-01",
        "quantity": 500,
        "unit": "gói",
        "origin": {
            "area_name": "Trang trại Tổ 5",
            "commune": "Phường Thục Phán",
            "commune_code": "01273",
            "province": "Tỉnh Cao Bằng",
            "province_code": "04",
            "harvest_date": "2026-10-28",
        },
        "certifications": ["VietGAP"],
        "standards": ["TCVN 12850:2019", "TCVN 7050:2020"],  # the first one the product already lists
        "process_steps": [
            {
                "step": "Giết mổ",
                "who": "Lò mổ Sông Hiến",
                "where": "Cao Bằng",
                "when": "2026-10-28",
                "why": "Nguyên liệu",
            },
            {"step": "Hun khói", "who": "Tâm Hòa", "where": "Tổ 5", "when": "2026-10-30T08:00:00Z"},
            {"step": "Đóng gói", "who": "Tâm Hòa", "where": "Tổ 5", "when": "2026-11-01"},
        ],
    },
}


def result(verdict: str, **extra: Any) -> dict[str, Any]:
    r = copy.deepcopy(GENUINE)
    r["verdict"] = verdict
    r["verdicts"] = [verdict]
    r.update(extra)
    return r


REPEAT = result(
    "repeat",
    scan={
        "count": 14,
        "first_scanned_at": "2026-11-20T02:30:00.000Z",
        "first_province": "04",
        "first_province_name": "Tỉnh Cao Bằng",
    },
)
RECALLED = result(
    "recalled",
    recall={
        "reason": "contamination",
        "message": "Ngừng sử dụng lô TH-2026-11.",
        "recalled_at": "2026-11-22T01:00:00Z",
    },
)
VOID = result("void", void={"reason": "stolen", "voided_at": "2026-11-21T03:00:00Z"})
EXPIRED = result("expired")
NOT_ACTIVATED = result("not_activated", lot=None)
UNKNOWN = {
    "code": "1ABCDEFGHJKMNPQZ",
    "verdict": "unknown",
    "verdicts": ["unknown"],
    "message": {"vi": "x", "en": "x"},
    "hint": "not_issued",
}
TYPO = {**UNKNOWN, "hint": "check_code"}

BANNERS = {
    "genuine": (GENUINE, "Tem chính hãng", "Genuine stamp"),
    "repeat": (REPEAT, "Cảnh báo: mã tem này đã được kiểm tra 14 lần", "Warning: this code has been checked 14 times"),
    "not_activated": (NOT_ACTIVATED, "Tem chưa được kích hoạt", "Stamp not activated"),
    "void": (VOID, "Tem đã bị hủy", "Stamp cancelled"),
    "recalled": (RECALLED, "Lô hàng này đã bị thu hồi — đừng sử dụng", "This lot has been recalled — do not use it"),
    "expired": (EXPIRED, "Sản phẩm đã hết hạn sử dụng", "This product is past its expiry date"),
    "unknown": (
        UNKNOWN,
        "Không tìm thấy mã tem — có thể là hàng giả",
        "Code not found — the product may be counterfeit",
    ),
    "typo": (TYPO, "Mã không đúng — hãy kiểm tra lại mã", "That code is not right — check the code again"),
}
