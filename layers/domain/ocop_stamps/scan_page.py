"""The consumer's page for one scan: server-rendered, Vietnamese first, every value escaped.

Deliberately plain (no scripts, no third-party requests); the full consumer page is
its own piece of work. Every string that a producer or admin typed goes through
``_e`` -- nothing reaches the page unescaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

_COLOURS = {
    "genuine": ("#0b6b2e", "#e7f6ec", "✔"),
    "repeat": ("#8a4b00", "#fff3df", "⚠"),
    "not_activated": ("#8a4b00", "#fff3df", "⚠"),
    "expired": ("#8a1c1c", "#fde8e8", "✖"),
    "void": ("#8a1c1c", "#fde8e8", "✖"),
    "recalled": ("#8a1c1c", "#fde8e8", "✖"),
    "unknown": ("#8a1c1c", "#fde8e8", "✖"),
}
_KIND_VI = {
    "household": "Hộ sản xuất",
    "cooperative": "Hợp tác xã",
    "enterprise": "Doanh nghiệp",
    "individual": "Cá nhân",
}


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _row(label_vi: str, label_en: str, value: Any) -> str:
    if value in (None, "", [], {}):
        return ""
    return f"<tr><th scope=row>{_e(label_vi)} <small lang=en>({_e(label_en)})</small></th><td>{_e(value)}</td></tr>"


def _address(addr: dict[str, Any] | None) -> str:
    if not addr:
        return ""
    parts = [addr.get(k) for k in ("street", "hamlet", "commune", "district", "province")]
    return ", ".join(str(p) for p in parts if p)


def render(result: dict[str, Any]) -> str:
    verdict = result["verdict"]
    fg, bg, icon = _COLOURS.get(verdict, _COLOURS["unknown"])
    msg = result["message"]
    rows: list[str] = []
    product = result.get("product") or {}
    producer = result.get("producer") or {}
    lot = result.get("lot") or {}
    ocop = product.get("ocop") or {}
    if product:
        rows.append(_row("Sản phẩm", "Product", product.get("name")))
        if ocop:
            stars = "★" * int(ocop.get("stars", 0))
            rows.append(_row("Hạng OCOP", "OCOP rating", f"{stars} ({ocop.get('stars')} sao)"))
            rows.append(_row("Số quyết định/chứng nhận", "Certificate", ocop.get("certificate_no")))
            rows.append(_row("Hiệu lực đến", "Valid until", ocop.get("valid_until")))
        rows.append(_row("Mã GTIN", "GTIN", product.get("gtin")))
    if producer:
        rows.append(_row("Chủ thể", "Producer", producer.get("name")))
        rows.append(_row("Loại hình", "Kind", _KIND_VI.get(producer.get("kind", ""), producer.get("kind"))))
        rows.append(_row("Địa chỉ", "Address", _address(producer.get("address"))))
        rows.append(_row("Điện thoại", "Phone", producer.get("phone")))
    if lot:
        rows.append(_row("Lô sản xuất", "Lot", lot.get("lot_code")))
        rows.append(_row("Ngày sản xuất", "Production date", lot.get("production_date")))
        rows.append(_row("Hạn sử dụng", "Expiry date", lot.get("expiry_date")))
        rows.append(_row("Số lượng", "Quantity", f"{lot.get('quantity')} {lot.get('unit', '')}".strip()))
        rows.append(_row("Vùng nguyên liệu", "Raw-material origin", _address(lot.get("origin"))))
        rows.append(_row("Chứng nhận", "Certifications", ", ".join(lot.get("certifications") or [])))
    scan = result.get("scan") or {}
    if scan:
        rows.append(_row("Số lần kiểm tra", "Times checked", scan.get("count")))
        rows.append(_row("Lần đầu kiểm tra", "First checked", scan.get("first_scanned_at")))
    demo = product.get("demo") or producer.get("demo")
    demo_note = (
        "<p class=demo>Dữ liệu minh họa (demo) — không phải thông tin thật. <span lang=en>Demo data.</span></p>"
        if demo
        else ""
    )
    code = result.get("code_display") or result.get("code") or ""
    return f"""<!doctype html>
<html lang=vi><head><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1">
<title>{_e(msg["vi"])} — Tem truy xuất OCOP</title>
<style>body{{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:1rem;color:#1a1a1a}}
.v{{border:3px solid {fg};background:{bg};color:{fg};padding:1rem;border-radius:.5rem;font-size:1.2rem}}
th{{text-align:left;vertical-align:top;padding:.3rem .5rem .3rem 0;font-weight:600}}td{{padding:.3rem 0}}
small{{color:#555;font-weight:400}}.demo{{background:#eef;padding:.5rem}}code{{font-size:1.1rem}}</style>
</head><body>
<div class=v role=status data-verdict="{_e(verdict)}"><span aria-hidden=true>{icon}</span>
<strong>{_e(msg["vi"])}</strong><br><span lang=en>{_e(msg["en"])}</span></div>
<p>Mã tem <small lang=en>(code)</small>: <code>{_e(code)}</code></p>
{demo_note}<table>{"".join(rows)}</table>
</body></html>"""
