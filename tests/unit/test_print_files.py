"""Print files, the pure part: the bulk QR encoder module for module against segno, every
symbol of a large sample decoded back by zxing, and label URLs (GS1 Digital Link). The
print-file API and the job worker on moto's SQS and S3: tests/integration/test_print_files.py."""

from __future__ import annotations

import io
import random
import re
import zlib

import numpy as np
import pypdfium2 as pdfium
import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from segno import consts
from segno import encoder as _enc

from helpers.qr import decode_all
from ocop_stamps.codes.labels import label_url
from ocop_stamps.codes.scheme import ALPHABET, CodeKeys, encode_many, group
from ocop_stamps.printing import qr, render, sheets

BASE = "https://tem.example.vn"
GTIN14 = "08930000000019"  # the sample product's GTIN-13 8930000000019 as GTIN-14


def test_given_many_label_urls_when_encoded_in_bulk_then_each_matrix_is_module_for_module_segnos() -> None:
    rng = random.Random(7)
    prefixes = [f"{BASE}/v/", f"{BASE}/01/{GTIN14}/21/", "http://127.0.0.1:3000/v/"]
    for prefix in prefixes:
        urls = [prefix + "".join(rng.choice(ALPHABET) for _ in range(16)) for _ in range(150)]

        layout, matrices = qr.encode_urls(urls)

        for url, matrix in zip(urls, matrices, strict=True):
            ref = segno.make(url, error="m", mode="byte", micro=False, boost_error=True)
            assert (ref.version, ref.error) == (layout.version, layout.error_name)
            assert np.array_equal(np.array([list(r) for r in ref.matrix], dtype=np.uint8), matrix), url


def test_given_a_large_sample_when_rendered_as_images_then_zxing_decodes_every_symbol_to_its_url() -> None:
    rng = random.Random(11)
    urls = [f"{BASE}/v/" + "".join(rng.choice(ALPHABET) for _ in range(16)) for _ in range(2000)]
    layout, matrices = qr.encode_urls(urls)
    assert layout.error_name in ("M", "Q", "H")
    border = qr.QUIET_ZONE
    # 40 symbols per image, 3 pixels per module
    decoded: list[str] = []
    for start in range(0, len(urls), 40):
        tiles = [np.pad(m, border) for m in matrices[start : start + 40]]
        grid = np.vstack([np.hstack(tiles[r * 8 : r * 8 + 8]) for r in range(len(tiles) // 8)])
        image = Image.fromarray((255 * (1 - np.kron(grid, np.ones((3, 3), dtype=np.uint8)))).astype(np.uint8))
        decoded += decode_all(image)

    assert sorted(decoded) == sorted(urls)


def test_given_a_product_with_a_gtin_when_the_label_url_is_built_then_it_is_a_gs1_digital_link() -> None:
    assert label_url(BASE, "ABCD", "8930000000019") == f"{BASE}/01/{GTIN14}/21/ABCD"
    assert label_url(BASE, "ABCD") == f"{BASE}/v/ABCD"
    with pytest.raises(ValueError, match="check digit"):
        label_url(BASE, "ABCD", "8930000000018")


# --- PDF sheets: the QR as a 1-bit image mask (issue 16) -----------------------------------------
KEYS = CodeKeys({1: bytes(range(16))})


def _stamps(first: int, count: int, gtin: str | None = "8930000000019") -> render.Stamps:
    codes = encode_many(KEYS, 42, first, count, version=1)
    prefix = label_url(BASE, "", gtin)
    return render.Stamps(list(range(first, first + count)), codes, [prefix + c for c in codes])


def _pdf(chunks: list[render.Stamps], preset: str = "a4-65") -> bytes:
    out = io.BytesIO()
    render.write_pdf(out, chunks, sheets.PRESETS[preset], render.LabelText("Chè Tân Cương hảo hạng", 4), cut_marks=True)
    return out.getvalue()


def _contents(data: bytes) -> str:
    """Every Flate stream of the file that reads as text (the page contents), decompressed."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, flags=re.S):
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(text)


@pytest.mark.parametrize("dpi", [300, 150])
def test_given_two_sheets_of_labels_when_rasterised_then_every_qr_decodes_to_its_url_and_every_code_reads(
    dpi: int,
) -> None:
    chunks = [_stamps(1, 100), _stamps(101, 30)]  # 130 labels, two chunks: two full a4-65 sheets

    pdf = pdfium.PdfDocument(_pdf(chunks))

    assert len(pdf) == 2
    decoded = [url for page in pdf for url in decode_all(page.render(scale=dpi / 72).to_pil())]
    assert sorted(decoded) == sorted(url for chunk in chunks for url in chunk.urls)
    text = "".join(page.get_textpage().get_text_range() for page in pdf)
    assert all(group(code) in text for chunk in chunks for code in chunk.codes)
    assert text.count("Chè Tân Cương") == 130


def test_given_a_pdf_sheet_when_its_content_is_read_then_each_qr_is_one_uninterpolated_image_mask_and_small() -> None:
    data = _pdf([_stamps(1, 65)])

    content = _contents(data)

    headers = re.findall(r"BI (.*?) ID ", content)
    assert len(headers) == 65
    assert set(headers) == {"/W 33 /H 33 /IM true /D [1 0] /I false /F /AHx"}  # crisp: never smoothed
    assert " re" not in content  # no rectangles left
    assert len(data) / 65 < 387  # bytes per label, the figure before image masks


def test_given_code_characters_in_several_font_subsets_when_printed_then_reportlab_draws_each_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = render._CodeText.__init__

    def split(self: render._CodeText, c: object, font_name: str) -> None:
        real(self, c, font_name)
        self.uniform = False

    monkeypatch.setattr(render._CodeText, "__init__", split)
    chunk = _stamps(1, 65, gtin=None)

    pdf = pdfium.PdfDocument(_pdf([chunk], "a4-65"))

    assert decode_all(pdf[0].render(scale=300 / 72).to_pil()) == sorted(chunk.urls)
    text = pdf[0].get_textpage().get_text_range()
    assert all(group(code) in text for code in chunk.codes)


# --- the bulk QR encoder's parts against segno's own (issue 16) ---------------------------------
def _scores(matrices: np.ndarray) -> list[list[int]]:
    """Penalties of (n, 8, S, S) matrices of 0/1, scored as the encoder scores them."""
    n, size = matrices.shape[0], matrices.shape[-1]
    flat = matrices.reshape(-1, size, size)
    changes, modules = qr._line_words(qr._pack(flat).T, qr._pack(flat.transpose(0, 2, 1)).T, size)
    return qr._penalties(changes, modules, size, qr._Work().ready(n, size)).reshape(n, 8).tolist()


def _stamp_finder_like(matrix: np.ndarray, rng: np.random.Generator) -> None:
    """Write 1:1:3:1:1 patterns (alone, or two 4 or 6 modules apart) with light margins into
    random rows and columns: the cases of segno's N3 scan, its resume rule included."""
    size = matrix.shape[0]
    for _ in range(6):
        shape = rng.choice(["00001011101", "1011101", "000010111011101", "00001011101011101", "10111010000"])
        bits = np.frombuffer(shape.encode(), dtype=np.uint8) - ord("0")
        start, line = int(rng.integers(0, size - bits.size + 1)), int(rng.integers(0, size))
        if rng.random() < 0.5:
            matrix[line, start : start + bits.size] = bits
        else:
            matrix[start : start + bits.size, line] = bits


@given(
    st.sampled_from([21, 25, 29, 33, 37, 45, 57, 61]),
    st.integers(0, 2**32 - 1),
    st.booleans(),
    st.sampled_from([0.5, 0.5, 0.2, 0.8, 0.03, 0.97]),
)
@settings(max_examples=40, deadline=None)
def test_given_any_matrices_when_scored_then_every_penalty_is_the_one_segno_computes(
    size: int, seed: int, patterned: bool, dark: float
) -> None:
    rng = np.random.default_rng(seed)
    matrices = (rng.random((2, 8, size, size)) < dark).astype(np.uint8)
    if patterned:
        for matrix in matrices.reshape(-1, size, size):
            _stamp_finder_like(matrix, rng)

    scores = _scores(matrices)

    expected = [
        [_enc.evaluate_mask(tuple(bytearray(row) for row in matrix), size, size) for matrix in masks]
        for masks in matrices
    ]
    assert scores == expected


@given(st.integers(1, 123), st.integers(7, 30), st.integers(0, 2**32 - 1))
@settings(max_examples=12, deadline=None)
def test_given_any_block_when_its_error_correction_is_looked_up_then_it_is_the_long_division(
    data_len: int, ecc_len: int, seed: int
) -> None:
    if ecc_len not in consts.GEN_POLY:
        return
    data = np.random.default_rng(seed).integers(0, 256, (5, data_len), dtype=np.uint8)

    assert np.array_equal(qr._ecc(data.T, ecc_len).T, qr._ecc_slow(data, ecc_len))


@given(
    st.integers(10, 130),
    st.sampled_from(["M", "Q", "H"]),
    st.integers(1, 40),
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=25, deadline=None)
def test_given_contents_of_any_length_level_and_group_size_when_encoded_then_each_symbol_is_segnos(
    length: int, error: str, group_size: int, seed: int
) -> None:
    rng = random.Random(seed)
    contents = [bytes(rng.choice(b"ABCDEFGH0123456789/:.") for _ in range(length)) for _ in range(45)]
    saved = qr.GROUP
    qr.GROUP = group_size
    try:
        layout, matrices = qr.encode_matrices(contents, error)
    finally:
        qr.GROUP = saved

    for content, matrix in zip(contents[:: 1 + 45 // 6], matrices[:: 1 + 45 // 6], strict=True):
        ref = segno.make(content, error=error.lower(), mode="byte", micro=False, boost_error=True)
        assert (ref.version, ref.error) == (layout.version, layout.error_name)
        assert np.array_equal(np.array([list(r) for r in ref.matrix], dtype=np.uint8), matrix)


@pytest.mark.parametrize("size", [21, 25, 29, 33, 37, 41, 61])
def test_given_matrices_all_of_one_colour_or_nearly_when_scored_then_every_penalty_is_segnos(size: int) -> None:
    # N4's bounds: segno computes dark / modules * 100 in floating point (an all-dark 33 x 33
    # matrix scores 100 there, 90 with the product taken the other way round)
    matrices = np.zeros((2, 8, size, size), dtype=np.uint8)
    matrices[1] = 1
    for k in range(8):
        matrices[0, k].flat[k * 97 % (size * size)] = 1
        matrices[1, k].flat[k * 89 % (size * size)] = 0 if k else 1
        matrices[1, k, -1, -1] = k % 2  # the corner a 33-module line's word leaves out

    expected = [
        [_enc.evaluate_mask(tuple(bytearray(row) for row in matrix), size, size) for matrix in masks]
        for masks in matrices
    ]
    assert _scores(matrices) == expected


def _lengths_per_version_and_level() -> list[tuple[int, str]]:
    """The shortest and the longest content of each (version, level) the encoder supports."""
    seen: dict[tuple[int, str], list[int]] = {}
    for error in ("M", "Q", "H"):
        for length in range(1, 260):
            try:
                layout = qr.layout(length, error)
            except ValueError:
                break
            seen.setdefault((layout.version, layout.error_name), []).append(length)
    return sorted({(min(v), e) for (_, e), v in seen.items()} | {(max(v), e) for (_, e), v in seen.items()})


@pytest.mark.parametrize(("length", "error"), _lengths_per_version_and_level())
def test_given_random_contents_of_each_version_and_level_when_encoded_then_each_symbol_is_segnos(
    length: int, error: str
) -> None:
    rng = random.Random(length * 7 + ord(error))
    alphabet = rng.choice([bytes(range(256)), ALPHABET.encode(), b"\x00\xff", b"01"])
    contents = [bytes(rng.choice(alphabet) for _ in range(length)) for _ in range(11)]  # a group not of 8

    layout, matrices = qr.encode_matrices(contents, error)

    for content, matrix in zip(contents[:: len(contents) - 1], matrices[:: len(contents) - 1], strict=True):
        ref = segno.make(content, error=error.lower(), mode="byte", micro=False, boost_error=True)
        assert (ref.version, ref.error) == (layout.version, layout.error_name)
        assert np.array_equal(np.array([list(r) for r in ref.matrix], dtype=np.uint8), matrix)
