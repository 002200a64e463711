"""Print files, the pure part: the bulk QR encoder module for module against segno, every
symbol of a large sample decoded back by zxing, and label URLs (GS1 Digital Link). The
print-file API and the job worker on moto's SQS and S3: tests/integration/test_print_files.py."""

from __future__ import annotations

import random

import numpy as np
import pytest
import segno
from PIL import Image

from helpers.qr import decode_all
from ocop_stamps.codes.labels import label_url
from ocop_stamps.codes.scheme import ALPHABET
from ocop_stamps.printing import qr

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
