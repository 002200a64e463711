"""Reading QR codes back with an independent decoder (zxing-cpp), for the print-file tests."""

from __future__ import annotations

import zxingcpp
from PIL import Image


def decode_all(image: Image.Image) -> list[str]:
    return sorted(r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode))
