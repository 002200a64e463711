"""Print files: PDF sticker sheets, SVG and PNG labels, rendered chunk by chunk.

Every renderer takes the same stream of ``Stamps`` chunks (serials, codes, label URLs
from ``labels.label_url``), so what is printed is byte-identical to the CSV manifest and
to what the scan endpoint answers. QR matrices come from ``ocop_stamps.printing.qr`` (level M or
higher, 4-module quiet zone). Memory is bounded by one chunk whatever the range.

PDF: drawn with ReportLab on the exact sheet geometry; each label is a few raw operators
written straight into the page's content stream: the QR as a 1-bit inline image mask
(``/IM true``, ``/I false``: never interpolated, so modules stay sharp at any printer
resolution; ~170 bytes of symbol instead of ~290 rectangles, issue 16) and the code as
text in the font subset. What is the same on every label (product name, OCOP stars) is
one form XObject drawn once per label. The font is Noto Sans (SIL Open Font
License 1.1, from the ``fontpkg-noto-sans`` wheel), embedded as a subset so Vietnamese
diacritics print as they are.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

import numpy as np

from ocop_stamps.codes.labels import label_url
from ocop_stamps.codes.scheme import ALPHABET, CODE_LENGTH, encode_many, group
from ocop_stamps.core.errors import BadRequest
from ocop_stamps.core.text import nfc_text
from ocop_stamps.printing.qr import QUIET_ZONE, encode_urls
from ocop_stamps.printing.sheets import CUT_MARK_MM, MIN_MODULE_MM, LabelLayout, Sheet, label_layout, pin_box
from ocop_stamps.storage.parameters import code_keys

PT_PER_MM = 72 / 25.4
FONT_NAME = "NotoSans"


@dataclass(frozen=True)
class Stamps:
    """One chunk of consecutive stamps of a batch."""

    serials: list[int]
    codes: list[str]
    urls: list[str]


@dataclass(frozen=True)
class LabelText:
    """What every label of a job shares. The name is kept in NFC (``core.text``): ReportLab
    draws a decomposed "ế" as "e" followed by two marks that land beside it, not on it."""

    product_name: str
    stars: int | None = None
    # a two-layer batch's label (issue 14): name and stars stay clear of the scratch-off panel
    pin_panel: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "product_name", nfc_text(self.product_name))


def iter_stamps(
    batch_no: int, key_version: int, first: int, last: int, base_url: str, gtin: str | None, chunk: int = 1000
) -> Iterator[Stamps]:
    keys = code_keys()
    prefix = label_url(base_url, "", gtin)
    for start in range(first, last + 1, chunk):
        count = min(chunk, last + 1 - start)
        codes = encode_many(keys, batch_no, start, count, version=key_version)
        yield Stamps(list(range(start, start + count)), codes, [prefix + c for c in codes])


@lru_cache(maxsize=1)
def font_path() -> Path:
    import fontpkg_noto_sans

    return Path(fontpkg_noto_sans.ROOT) / "files" / "NotoSans[wdth,wght].ttf"


@lru_cache(maxsize=1)
def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT_NAME, str(font_path())))
    return FONT_NAME


def _text_width_mm(text: str, size_mm: float) -> float:
    from reportlab.pdfbase import pdfmetrics

    return float(pdfmetrics.stringWidth(text, _register_font(), size_mm * PT_PER_MM)) / PT_PER_MM


def _fit_lines(text: str, size_mm: float, width_mm: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most ``max_lines``; the last line ends in '…' if cut."""
    words = text.split()
    lines: list[str] = []
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and _text_width_mm(f"{line} {words[0]}", size_mm) <= width_mm:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words or (lines and _text_width_mm(lines[-1], size_mm) > width_mm):
        last = lines[-1] if lines else ""
        while last and _text_width_mm(last + "…", size_mm) > width_mm:
            last = last[:-1]
        lines[-1:] = [last.rstrip() + "…"]
    return lines


def _code_size(lay: LabelLayout, sample_code: str) -> float:
    """The code's font size: as set by the layout, smaller if the grouped code is wider."""
    text = group(sample_code)
    width = _text_width_mm(text, lay.code_size) * 1.04  # a margin for wider glyph mixes
    return lay.code_size * min(1.0, lay.code.w / width) if width else lay.code_size


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    """A five-pointed star around (cx, cy), y growing downwards."""
    pts = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.45
        angle = -math.pi / 2 + k * math.pi / 5
        pts.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return pts


def _text_block(lay: LabelLayout, info: LabelText) -> tuple[list[str], float, list[tuple[float, float]], float]:
    """Name lines, their size, star centres and star radius (mm, label coordinates)."""
    size = lay.name_size
    star_r = size * 0.45
    star_room = 2.4 * star_r if info.stars else 0.0
    room = lay.text.h
    if info.pin_panel:  # the panel's top is where the name and stars must end
        panel = pin_box(lay)
        room = panel.y - lay.text.y if panel.y > lay.text.y else 0.0
        if room < size * 1.2 + star_room:
            return [], size, [], star_r  # no room beside a panel this size: the panel wins
    max_lines = max(1, int((room - star_room) // (size * 1.2)))
    lines = _fit_lines(info.product_name, size, lay.text.w, min(max_lines, 3)) if lay.text.w > 2 else []
    stars = []
    if info.stars:
        y = lay.text.y + len(lines) * size * 1.2 + star_r * 1.3
        label_w = _text_width_mm("OCOP", size * 0.8) + star_r
        for k in range(info.stars):
            stars.append((lay.text.x + label_w + star_r + k * star_r * 2.2, y))
    return lines, size, stars, star_r


# --- PDF ------------------------------------------------------------------------------------


def _qr_images(matrices: np.ndarray) -> tuple[str, int]:
    """Every matrix of a chunk as the data of a 1-bit inline image mask: rows padded to whole
    bytes, first module in the high bit, ASCIIHex-encoded (the page stream is Flate-compressed
    around it). One string for the chunk and the length of each symbol's part."""
    packed = np.packbits(matrices, axis=2)  # (n, size, ceil(size / 8))
    return packed.tobytes().hex(), 2 * packed[0].size


class _CodeText:
    """The readable code under each QR as raw text operators: the font subset's name, each
    character's bytes in it (escaped for a PDF string), and its advance width (points at 1 pt)."""

    def __init__(self, c: Any, font_name: str) -> None:
        from reportlab.lib.rl_accel import escapePDF
        from reportlab.pdfbase import pdfmetrics

        font = pdfmetrics.getFont(font_name)
        chars = ALPHABET + "-"
        parts = [font.splitString(ch, c._doc) for ch in chars]  # every character in the subset
        subsets = {subset for part in parts for subset, _ in part}
        self.uniform = len(subsets) == 1 and all(len(part) == 1 for part in parts)
        subset = min(subsets)
        self.chars = set(ALPHABET)
        self.font = font.getSubsetInternalName(subset, c._doc)
        escaped = {ch: escapePDF(part[0][1]) for ch, part in zip(chars, parts, strict=True)}
        self.table = str.maketrans(escaped)
        # where group() puts each character of a code, and what it puts between them
        probe = "".join(chr(0x100 + k) for k in range(CODE_LENGTH))
        shown = group(probe)
        self.places = np.array([shown.index(ch) for ch in probe])
        self.filler = np.frombuffer(re.sub("[\u0100-\u01ff]", "0", shown).encode("latin-1"), dtype=np.uint8)
        # one byte per character, none escaped: a chunk's codes translate in one call
        self.bytes_table: bytes | None = None
        if self.uniform and all(len(e) == 1 and 32 < ord(e) < 127 for e in escaped.values()):
            table = bytearray(range(256))
            for ch, e in escaped.items():
                table[ord(ch)] = ord(e)
            self.bytes_table = bytes(table)
        width = np.zeros(256)
        for ch in chars:
            width[ord(ch)] = pdfmetrics.stringWidth(ch, font_name, 1.0)
        self.width = width

    def fits(self, codes: list[str]) -> bool:
        """Whether every code is one this class can set: 16 characters of the code alphabet
        (anything else goes through ReportLab, character by character)."""
        joined = "".join(codes)
        return self.uniform and len(joined) == CODE_LENGTH * len(codes) and set(joined) <= self.chars

    def shown(self, codes: list[str], size: float) -> tuple[list[str], list[float]]:
        """Each code as ``group`` shows it, as the PDF string's content, and half its width
        (points at ``size`` points)."""
        n = len(codes)
        text = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(n, CODE_LENGTH)
        grouped = np.empty((n, self.filler.size), dtype=np.uint8)
        grouped[:] = self.filler
        grouped[:, self.places] = text
        half = (self.width[grouped].sum(axis=1) * (size / 2)).tolist()
        if self.bytes_table is None:
            return [group(code).translate(self.table) for code in codes], half
        width = self.filler.size
        flat = grouped.tobytes().translate(self.bytes_table).decode("ascii")
        return [flat[i : i + width] for i in range(0, n * width, width)], half


def write_pdf(
    out: BinaryIO, chunks: Iterable[Stamps], sheet: Sheet, info: LabelText, *, cut_marks: bool = False, error: str = "M"
) -> int:
    """Sheets of labels for every stamp of ``chunks``; returns the number of labels.

    Each label is a handful of raw operators appended to the page's content stream: the
    shared label form, the QR as a 1-bit image mask (not interpolated: crisp at any printer
    resolution) and the code as text in the embedded font subset (docs/PERFORMANCE.md,
    issue 16)."""
    from reportlab import rl_config
    from reportlab.pdfgen import canvas as rl_canvas

    # Binary Flate streams: ReportLab's default ASCII85 wrapping runs in pure Python here
    # (no rl_accel wheel) and took half the time, for 25 % bigger files.
    rl_config.useA85 = 0
    font = _register_font()
    k = PT_PER_MM
    page_h = sheet.page_h
    c = rl_canvas.Canvas(out, pagesize=(sheet.page_w * k, page_h * k), invariant=1, pageCompression=1)
    c.setTitle(f"OCOP — {info.product_name}")
    c.setCreator("ocop-stamps")
    lay: LabelLayout | None = None
    text: _CodeText | None = None
    slots: list[tuple[str, float, float, str]] = []
    code_pt = 0.0
    count = 0
    for chunk in chunks:
        qr_layout, matrices = encode_urls(chunk.urls, error)
        if lay is None:
            lay = label_layout(sheet.label_w, sheet.label_h, qr_layout.size)
            code_pt = _code_size(lay, chunk.codes[0]) * k
            _label_form(c, lay, info, cut_marks)
            text = _CodeText(c, font)
            slots = _slots(sheet, lay, qr_layout.size, text.font, code_pt)
        assert text is not None
        images, length = _qr_images(matrices)
        fast = text.fits(chunk.codes)
        if fast:
            shown, half_widths = text.shown(chunk.codes, code_pt)
        for i, code in enumerate(chunk.codes):
            slot = count % sheet.per_page
            if slot == 0:
                if count:
                    c.showPage()
                c._formsinuse.append("label")
            before, cx, base, after = slots[slot]
            image = images[i * length : (i + 1) * length]
            if fast:
                c._code.append(f"{before}{image}> EI Q BT {cx - half_widths[i]:.3f} {after}({shown[i]}) Tj ET")
            else:  # characters in several font subsets, or not a code: ReportLab sets them
                c._code.append(f"{before}{image}> EI Q")
                c.setFont(font, code_pt)
                c.drawCentredString(cx, base, group(code))
            count += 1
    if count:
        c.showPage()
    c.save()
    return count


def _slots(sheet: Sheet, lay: LabelLayout, size: int, font: str, code_pt: float) -> list[tuple[str, float, float, str]]:
    """Per position on the page: the operators before a label's image data (the label form,
    the image mask's placement and header), the x of the code's centre and its baseline
    (points), and the text operators after the code's x."""
    k = PT_PER_MM
    m = lay.module * k
    side = size * m
    out = []
    for slot in range(sheet.per_page):
        ox, oy = sheet.origin(slot)
        x_left = ox * k
        y_top = (sheet.page_h - oy) * k
        x0 = x_left + lay.qr.x * k + QUIET_ZONE * m
        y0 = y_top - lay.qr.y * k - QUIET_ZONE * m - side
        before = (
            f"q 1 0 0 1 {x_left:.3f} {y_top - sheet.label_h * k:.3f} cm /{_FORM} Do Q "
            f"q {side:.4f} 0 0 {side:.4f} {x0:.3f} {y0:.3f} cm "
            f"BI /W {size} /H {size} /IM true /D [1 0] /I false /F /AHx ID "
        )
        cx = x_left + (lay.code.x + lay.code.w / 2) * k
        base = y_top - (lay.code.y + lay.code.h * 0.8) * k
        out.append((before, cx, base, f"{base:.3f} Td {font} {code_pt:.3f} Tf "))
    return out


_FORM = "FormXob.label"  # ReportLab's name of the form "label" (doc.getXObjectName)


def _label_form(c: Any, lay: LabelLayout, info: LabelText, cut_marks: bool) -> None:
    """Everything every label shares, as one form XObject (label coordinates, origin at
    the label's bottom-left corner)."""
    k = PT_PER_MM
    h = lay.height
    lines, size, stars, star_r = _text_block(lay, info)
    c.beginForm("label")
    c.setFillGray(0)
    c.setFont(_register_font(), size * k)
    for n, line in enumerate(lines):
        c.drawString(lay.text.x * k, (h - lay.text.y - size * (0.95 + 1.2 * n)) * k, line)
    if stars:
        c.setFont(_register_font(), size * 0.8 * k)
        c.drawString(lay.text.x * k, (h - stars[0][1] - size * 0.3) * k, "OCOP")
        for cx, cy in stars:
            path = c.beginPath()
            pts = _star(cx, cy, star_r)
            path.moveTo(pts[0][0] * k, (h - pts[0][1]) * k)
            for x, y in pts[1:]:
                path.lineTo(x * k, (h - y) * k)
            path.close()
            c.drawPath(path, stroke=0, fill=1)
    if cut_marks:
        c.setLineWidth(0.25)
        c.setStrokeGray(0.4)
        w, t = lay.width * k, CUT_MARK_MM * k
        for x, y, dx, dy in ((0, 0, 1, 1), (w, 0, -1, 1), (0, h * k, 1, -1), (w, h * k, -1, -1)):
            c.line(x, y, x + dx * t, y)
            c.line(x, y, x, y + dy * t)
    c.endForm()


# --- the PIN layer (issue 14) -----------------------------------------------------------------
def write_pin_pdf(
    out: BinaryIO, chunks: Iterable[tuple[list[int], list[str]]], sheet: Sheet, lay: LabelLayout, *, cut_marks: bool
) -> int:
    """The scratch-off PIN layer of a two-layer batch: sheets with the same geometry as its QR
    labels (``sheet``, and ``lay`` -- the QR labels' own layout), each PIN ("1234 5678") centred
    in the label's panel (``sheets.pin_box``), nothing else but optional cut marks. ``chunks``:
    (serials, PINs). Returns the number of labels.

    As the QR sheets do, each label is a few raw operators in the page's content stream: the
    PIN as text in the embedded font subset, the cut marks as one shared form XObject."""
    from reportlab.lib.rl_accel import escapePDF
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas as rl_canvas

    font_name = _register_font()
    k = PT_PER_MM
    c = rl_canvas.Canvas(out, pagesize=(sheet.page_w * k, sheet.page_h * k), invariant=1, pageCompression=1)
    c.setTitle("OCOP — PIN")
    c.setCreator("ocop-stamps")
    box = pin_box(lay)
    size = min(box.h * 0.6, box.w / (_text_width_mm("0000 0000", 1.0) * 1.08)) * k
    font = pdfmetrics.getFont(font_name)
    chars = "0123456789 "
    parts = {ch: font.splitString(ch, c._doc) for ch in chars}  # every character in the subset
    (subset,) = {part[0][0] for part in parts.values()}
    ref = font.getSubsetInternalName(subset, c._doc)
    table = str.maketrans({ch: escapePDF(part[0][1]) for ch, part in parts.items()})
    half = {ch: pdfmetrics.stringWidth(ch, font_name, size) / 2 for ch in chars}
    if cut_marks:
        c.beginForm("cuts")
        _cut_marks(c, sheet.label_w, sheet.label_h)
        c.endForm()
    spots = []
    for slot in range(sheet.per_page):
        ox, oy = sheet.origin(slot)
        cx = (ox + box.x + box.w / 2) * k
        base = (sheet.page_h - oy - box.y - box.h / 2) * k - size * 0.35
        cuts = (
            f"q 1 0 0 1 {ox * k:.3f} {(sheet.page_h - oy - sheet.label_h) * k:.3f} cm /FormXob.cuts Do Q "
            if cut_marks
            else ""
        )
        spots.append((cx, f" {base:.3f} Td {ref} {size:.3f} Tf (", cuts))
    count = 0
    for _serials, pins in chunks:
        for pin in pins:
            slot = count % sheet.per_page
            if slot == 0:
                if count:
                    c.showPage()
                if cut_marks:
                    c._formsinuse.append("cuts")
            cx, after, cuts = spots[slot]
            shown = f"{pin[:4]} {pin[4:]}"
            width = sum(half[ch] for ch in shown)
            c._code.append(f"{cuts}BT {cx - width:.3f}{after}{shown.translate(table)}) Tj ET")
            count += 1
    if count:
        c.showPage()
    c.save()
    return count


def _cut_marks(c: Any, w_mm: float, h_mm: float) -> None:
    """Corner marks of a ``w_mm`` x ``h_mm`` label (label coordinates, origin bottom-left)."""
    k, t = PT_PER_MM, CUT_MARK_MM * PT_PER_MM
    c.setLineWidth(0.25)
    c.setStrokeGray(0.4)
    w, h = w_mm * k, h_mm * k
    for x, y, dx, dy in ((0, 0, 1, 1), (w, 0, -1, 1), (0, h, 1, -1), (w, h, -1, -1)):
        c.line(x, y, x + dx * t, y)
        c.line(x, y, x, y + dy * t)


# --- SVG ------------------------------------------------------------------------------------


def _svg_path(matrix: np.ndarray) -> str:
    size = matrix.shape[0]
    padded = np.zeros((size, size + 2), dtype=np.int8)
    padded[:, 1:-1] = matrix
    d = np.diff(padded, axis=1)
    rows, cols = np.nonzero(d == 1)
    ends = np.nonzero(d == -1)[1]
    return "".join(
        f"M{c} {r}h{e - c}v1h{c - e}z" for r, c, e in zip(rows.tolist(), cols.tolist(), ends.tolist(), strict=True)
    )


def iter_svg(
    chunks: Iterable[Stamps], sheet: Sheet, info: LabelText, *, error: str = "M"
) -> Iterator[tuple[int, bytes]]:
    """(serial, SVG document) for every stamp: vector QR, text as text (Noto Sans)."""
    lay: LabelLayout | None = None
    frame = _SvgFrame("", "", "", "")
    for chunk in chunks:
        qr_layout, matrices = encode_urls(chunk.urls, error)
        if lay is None:
            lay = label_layout(sheet.label_w, sheet.label_h, qr_layout.size)
            frame = _svg_frame(lay, info, _code_size(lay, chunk.codes[0]))
        for serial, code, url, matrix in zip(chunk.serials, chunk.codes, chunk.urls, matrices, strict=True):
            qr = (
                f'<path fill="#000" transform="translate({lay.qr.x + QUIET_ZONE * lay.module:.3f} '
                f'{lay.qr.y + QUIET_ZONE * lay.module:.3f}) scale({lay.module:.5f})" d="{_svg_path(matrix)}"/>'
            )
            doc = "".join(
                (frame.start, escape(url), frame.before_code, escape(group(code)), frame.shared, qr, frame.end)
            )
            yield serial, doc.encode("utf-8")


@dataclass(frozen=True)
class _SvgFrame:
    """What every SVG label of a job shares, in the pieces between which a label's URL and
    code go. Producer text (the product name) is already escaped inside ``shared`` and never
    passes through a template: a name reading ``{URL}`` prints as ``{URL}`` (issue 13)."""

    start: str  # up to the title's text, where the label's URL goes
    before_code: str  # from the end of the title to the code's text
    shared: str  # from the end of the code: the name, the stars
    end: str


def _svg_frame(lay: LabelLayout, info: LabelText, code_size: float) -> _SvgFrame:
    lines, size, stars, star_r = _text_block(lay, info)
    w, h = lay.width, lay.height
    start = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:g}mm" height="{h:g}mm" viewBox="0 0 {w:g} {h:g}">'
        "<title>"
    )
    before_code = (
        "</title>"
        f'<rect width="{w:g}" height="{h:g}" fill="#fff"/>'
        '<g font-family="Noto Sans, DejaVu Sans, Arial, sans-serif" fill="#000">'
        f'<text x="{lay.code.x + lay.code.w / 2:.3f}" y="{lay.code.y + lay.code.h * 0.8:.3f}" '
        f'font-size="{code_size:.3f}" text-anchor="middle">'
    )
    parts = ["</text>"]
    for n, line in enumerate(lines):
        parts.append(
            f'<text x="{lay.text.x:.3f}" y="{lay.text.y + size * (0.95 + 1.2 * n):.3f}" font-size="{size:.3f}">{escape(line)}</text>'
        )
    if stars:
        parts.append(
            f'<text x="{lay.text.x:.3f}" y="{stars[0][1] + size * 0.3:.3f}" font-size="{size * 0.8:.3f}">OCOP</text>'
        )
        for cx, cy in stars:
            pts = " ".join(f"{x:.3f},{y:.3f}" for x, y in _star(cx, cy, star_r))
            parts.append(f'<polygon points="{pts}"/>')
    parts.append("</g>")
    return _SvgFrame(start, before_code, "".join(parts), "</svg>\n")


# --- PNG ------------------------------------------------------------------------------------


def png_module_px(lay: LabelLayout, dpi: int) -> int:
    px = int(lay.module * dpi / 25.4)
    if px < 1 or px * 25.4 / dpi < MIN_MODULE_MM:
        need = math.ceil(MIN_MODULE_MM * 25.4 / lay.module) if lay.module else 0
        # the smallest dpi whose whole-pixel module is still >= MIN_MODULE_MM
        dpi_ok = next(d for d in range(need, 4801) if int(lay.module * d / 25.4) * 25.4 / d >= MIN_MODULE_MM)
        raise BadRequest(
            f"At {dpi} dpi a QR module of this label is {px} pixel(s), under {MIN_MODULE_MM} mm; use at least {dpi_ok} dpi.",
            f"Ở {dpi} dpi mỗi điểm QR của tem này chỉ {px} điểm ảnh, nhỏ hơn {MIN_MODULE_MM} mm; hãy dùng tối thiểu {dpi_ok} dpi.",
        )
    return px


def _glyphs(font: Any) -> dict[str, tuple[Any, float, int, int]]:
    """Each character a code can show, rendered once as a coverage mask: (mask, advance,
    top, left). Drawing the code from these is much faster than laying out the string
    for every label."""
    from PIL import Image, ImageDraw

    out = {}
    for ch in "0123456789ABCDEFGHJKMNPQRSTVWXYZ-":
        left, top, right, bottom = font.getbbox(ch, anchor="ls")
        mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
        ImageDraw.Draw(mask).text((-left, -top), ch, font=font, fill=255, anchor="ls")
        out[ch] = (mask, float(font.getlength(ch)), int(top), int(left))
    return out


def _paste_text(
    img: Any, glyphs: dict[str, tuple[Any, float, int, int]], text: str, cx: float, baseline: float
) -> None:
    x = cx - sum(glyphs[ch][1] for ch in text) / 2
    for ch in text:
        mask, advance, top, left = glyphs[ch]
        img.paste(0, (round(x) + left, round(baseline) + top), mask)
        x += advance


def iter_png(
    chunks: Iterable[Stamps], sheet: Sheet, info: LabelText, *, dpi: int = 300, error: str = "M"
) -> Iterator[tuple[int, bytes]]:
    """(serial, PNG) for every stamp, grey-scale at ``dpi``, QR modules whole pixels."""
    from PIL import Image, ImageDraw, ImageFont

    lay: LabelLayout | None = None
    base = None
    code_font: Any = None
    px = 0
    scale = dpi / 25.4
    for chunk in chunks:
        qr_layout, matrices = encode_urls(chunk.urls, error)
        if lay is None:
            lay = label_layout(sheet.label_w, sheet.label_h, qr_layout.size)
            px = png_module_px(lay, dpi)
            base = Image.new("L", (round(lay.width * scale), round(lay.height * scale)), 255)
            draw = ImageDraw.Draw(base)
            lines, size, stars, star_r = _text_block(lay, info)
            name_font = ImageFont.truetype(str(font_path()), max(1, round(size * scale)))
            for n, line in enumerate(lines):
                draw.text(
                    (lay.text.x * scale, (lay.text.y + size * (0.95 + 1.2 * n)) * scale),
                    line,
                    font=name_font,
                    fill=0,
                    anchor="ls",
                )
            if stars:
                small = ImageFont.truetype(str(font_path()), max(1, round(size * 0.8 * scale)))
                draw.text(
                    (lay.text.x * scale, (stars[0][1] + size * 0.3) * scale), "OCOP", font=small, fill=0, anchor="ls"
                )
                for cx, cy in stars:
                    draw.polygon([(x * scale, y * scale) for x, y in _star(cx, cy, star_r)], fill=0)
            code_font = ImageFont.truetype(str(font_path()), max(1, round(_code_size(lay, chunk.codes[0]) * scale)))
        assert base is not None
        qx = round(lay.qr.x * scale) + QUIET_ZONE * px
        qy = round(lay.qr.y * scale) + QUIET_ZONE * px
        cx, cy = (lay.code.x + lay.code.w / 2) * scale, (lay.code.y + lay.code.h * 0.8) * scale
        light = np.array([255, 0], dtype=np.uint8)  # module 0 -> white, 1 -> black
        glyphs = _glyphs(code_font)
        for serial, code, matrix in zip(chunk.serials, chunk.codes, matrices, strict=True):
            img = base.copy()
            qr_img = Image.fromarray(light[matrix].repeat(px, axis=0).repeat(px, axis=1), "L")
            img.paste(qr_img, (qx, qy))
            _paste_text(img, glyphs, group(code), cx, cy)
            buf = io.BytesIO()
            img.save(buf, "PNG", dpi=(dpi, dpi), compress_level=1)
            yield serial, buf.getvalue()
