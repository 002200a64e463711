"""Sticker sheets and where things go on one label.

A sheet is a page with a grid of labels: ``cols`` x ``rows`` labels of ``label_w`` x
``label_h`` mm, the first one ``margin_left``/``margin_top`` mm from the page's top-left
corner, the next one ``pitch_x``/``pitch_y`` mm further (label size plus the gap). The
presets are common A4 sheets sold in Vietnam (the Avery/Tomy/Decal A4 families); custom
sizes and grids are accepted as long as they fit the page.

On each label: the QR with its 4-module quiet zone, the code in readable groups on the
bottom line, the product name and the OCOP stars beside the QR on wide labels or under
it on tall ones. Every printed module must be at least ``MIN_MODULE_MM``; a label too
small for that is refused with the smallest size that works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ocop_stamps.core.errors import BadRequest
from ocop_stamps.printing.qr import QUIET_ZONE

MIN_MODULE_MM = 0.33
PAD_MM = 1.0  # inner margin of a label
CUT_MARK_MM = 1.5


@dataclass(frozen=True)
class Sheet:
    label_w: float
    label_h: float
    cols: int
    rows: int
    margin_left: float
    margin_top: float
    pitch_x: float
    pitch_y: float
    page_w: float = 210.0
    page_h: float = 297.0
    name: str = "custom"

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    def origin(self, index: int) -> tuple[float, float]:
        """Top-left corner (mm from the page's top-left) of label ``index`` on its page."""
        row, col = divmod(index % self.per_page, self.cols)
        return self.margin_left + col * self.pitch_x, self.margin_top + row * self.pitch_y

    def check(self) -> None:
        right = self.margin_left + (self.cols - 1) * self.pitch_x + self.label_w
        bottom = self.margin_top + (self.rows - 1) * self.pitch_y + self.label_h
        problems = []
        if self.pitch_x < self.label_w - 1e-6 or self.pitch_y < self.label_h - 1e-6:
            problems.append(
                (
                    "pitch is smaller than the label: labels would overlap",
                    "khoảng cách giữa hai tem nhỏ hơn cỡ tem: các tem chồng lên nhau",
                )
            )
        if right > self.page_w + 1e-6 or bottom > self.page_h + 1e-6:
            problems.append(
                (
                    f"the grid ends at {right:.1f} x {bottom:.1f} mm, outside the {self.page_w:g} x {self.page_h:g} mm page",
                    f"lưới tem kết thúc ở {right:.1f} x {bottom:.1f} mm, vượt ra ngoài trang {self.page_w:g} x {self.page_h:g} mm",
                )
            )
        if problems:
            raise BadRequest(
                "The sheet does not fit: " + "; ".join(p[0] for p in problems) + ".",
                "Khổ giấy không hợp lệ: " + "; ".join(p[1] for p in problems) + ".",
            )


Preset = Literal["a4-65", "a4-40", "a4-24"]
PRESETS: dict[Preset, Sheet] = {
    # 5 x 13 labels of 38.1 x 21.2 mm (Avery L7651 / Tomy A4-65)
    "a4-65": Sheet(38.1, 21.2, 5, 13, 4.7, 10.7, 40.6, 21.2, name="a4-65"),
    # 4 x 10 labels of 52.5 x 29.7 mm, edge to edge (Avery 3651)
    "a4-40": Sheet(52.5, 29.7, 4, 10, 0.0, 0.0, 52.5, 29.7, name="a4-40"),
    # 3 x 8 labels of 70 x 37 mm (Avery 3474)
    "a4-24": Sheet(70.0, 37.0, 3, 8, 0.0, 0.5, 70.0, 37.0, name="a4-24"),
}


@dataclass(frozen=True)
class Box:
    x: float  # mm from the label's left edge
    y: float  # mm from the label's top edge
    w: float
    h: float


@dataclass(frozen=True)
class LabelLayout:
    """Where things go on one label (mm, from the label's top-left corner)."""

    width: float
    height: float
    qr: Box  # the QR including its quiet zone
    module: float  # mm per module
    code: Box  # the readable code line
    code_size: float  # font size in mm
    text: Box  # product name and stars
    name_size: float


def _arrange(w: float, h: float, modules: int) -> LabelLayout:
    code_size = max(1.2, min(3.2, h * 0.11, (w - 2 * PAD_MM) / 11.5))
    code_line = code_size * 1.25
    wide = w >= h * 1.3
    if wide:
        side = min(h - 2 * PAD_MM - code_line, w * 0.55)
        qr = Box(PAD_MM, PAD_MM, side, side)
        text = Box(
            PAD_MM + side + 0.5, PAD_MM + QUIET_ZONE * side / modules * 0.5, w - side - 2 * PAD_MM - 0.5, side * 0.9
        )
        code = Box(PAD_MM, PAD_MM + side, w - 2 * PAD_MM, code_line)
    else:
        text_h = max(3.0, h * 0.18)
        side = min(w - 2 * PAD_MM, h - 2 * PAD_MM - code_line - text_h)
        qr = Box((w - side) / 2, PAD_MM, side, side)
        code = Box(PAD_MM, PAD_MM + side, w - 2 * PAD_MM, code_line)
        text = Box(PAD_MM, PAD_MM + side + code_line, w - 2 * PAD_MM, text_h)
    name_size = max(1.2, min(3.0, code_size * 0.9))
    return LabelLayout(w, h, qr, side / modules if side > 0 else 0.0, code, code_size, text, name_size)


def label_layout(w: float, h: float, qr_size: int) -> LabelLayout:
    """The layout of a ``w`` x ``h`` mm label for a QR of ``qr_size`` modules, or a
    ``BadRequest`` naming the smallest label (same proportions) that prints it legibly."""
    modules = qr_size + 2 * QUIET_ZONE
    lay = _arrange(w, h, modules)
    if lay.module >= MIN_MODULE_MM:
        return lay
    scale = 1.0
    while scale < 20:
        scale += 0.01
        if _arrange(w * scale, h * scale, modules).module >= MIN_MODULE_MM:
            break
    need_w, need_h = _ceil1(w * scale), _ceil1(h * scale)
    raise BadRequest(
        f"A {w:g} x {h:g} mm label prints QR modules of {lay.module:.2f} mm; scanners need at least "
        f"{MIN_MODULE_MM} mm. The smallest label of this shape that works is {need_w:g} x {need_h:g} mm.",
        f"Tem {w:g} x {h:g} mm chỉ in được điểm QR {lay.module:.2f} mm; máy quét cần tối thiểu "
        f"{MIN_MODULE_MM} mm. Cỡ tem nhỏ nhất cùng tỷ lệ in được là {need_w:g} x {need_h:g} mm.",
        details=[{"field": "label", "problem": f"smallest size {need_w:g} x {need_h:g} mm"}],
    )


def pin_box(lay: LabelLayout) -> Box:
    """Where a two-layer stamp's scratch-off panel goes on a label (issue 14, docs/PIN.md): the
    PIN layer prints the PIN here and the shop coats it. On a wide label, the bottom of the
    text area beside the QR (the product name and stars keep the top); on a tall one, the
    text area under the code. Never over the QR, its quiet zone or the code line."""
    text = lay.text
    if lay.width >= lay.height * 1.3:  # the wide arrangement of ``_arrange``
        h = min(text.h * 0.5, max(3.0, lay.code_size * 2.2))
        return Box(text.x, lay.qr.y + lay.qr.h - h, text.w, h)
    return Box(text.x, text.y, text.w, text.h)


def _ceil1(v: float) -> float:
    return -(-round(v * 10, 6) // 1) / 10
