"""Provinces as scans record them: ISO 3166-2:VN codes, the edge's viewer region.

A scan keeps only a coarse place: ``VN-69`` (Thái Nguyên) from CloudFront's
``CloudFront-Viewer-Country-Region`` header (``privacy.coarse_place``). An inspector's
scope (``custom:provinces``) may name provinces by code or by name, with or without
diacritics; ``to_code`` maps both to the code, so scope and records compare equal.

The list is the 63 provinces and cities of ISO 3166-2:VN as CloudFront reports them. The
2025 merger into 34 provinces is not reflected in ISO 3166-2 yet; when it is, the merged
codes are added here and scopes name both old and new codes.
"""

from __future__ import annotations

import re

from ocop_stamps.core.vocabulary import ascii_text

NAMES: dict[str, str] = {
    "VN-44": "An Giang",
    "VN-43": "Bà Rịa - Vũng Tàu",
    "VN-54": "Bắc Giang",
    "VN-53": "Bắc Kạn",
    "VN-55": "Bạc Liêu",
    "VN-56": "Bắc Ninh",
    "VN-50": "Bến Tre",
    "VN-31": "Bình Định",
    "VN-57": "Bình Dương",
    "VN-58": "Bình Phước",
    "VN-40": "Bình Thuận",
    "VN-59": "Cà Mau",
    "VN-CT": "Cần Thơ",
    "VN-04": "Cao Bằng",
    "VN-DN": "Đà Nẵng",
    "VN-33": "Đắk Lắk",
    "VN-72": "Đắk Nông",
    "VN-71": "Điện Biên",
    "VN-39": "Đồng Nai",
    "VN-45": "Đồng Tháp",
    "VN-30": "Gia Lai",
    "VN-03": "Hà Giang",
    "VN-63": "Hà Nam",
    "VN-HN": "Hà Nội",
    "VN-23": "Hà Tĩnh",
    "VN-61": "Hải Dương",
    "VN-HP": "Hải Phòng",
    "VN-73": "Hậu Giang",
    "VN-SG": "Hồ Chí Minh",
    "VN-14": "Hòa Bình",
    "VN-66": "Hưng Yên",
    "VN-34": "Khánh Hòa",
    "VN-47": "Kiên Giang",
    "VN-28": "Kon Tum",
    "VN-01": "Lai Châu",
    "VN-35": "Lâm Đồng",
    "VN-09": "Lạng Sơn",
    "VN-02": "Lào Cai",
    "VN-41": "Long An",
    "VN-67": "Nam Định",
    "VN-22": "Nghệ An",
    "VN-18": "Ninh Bình",
    "VN-36": "Ninh Thuận",
    "VN-68": "Phú Thọ",
    "VN-32": "Phú Yên",
    "VN-24": "Quảng Bình",
    "VN-27": "Quảng Nam",
    "VN-29": "Quảng Ngãi",
    "VN-13": "Quảng Ninh",
    "VN-25": "Quảng Trị",
    "VN-52": "Sóc Trăng",
    "VN-05": "Sơn La",
    "VN-37": "Tây Ninh",
    "VN-20": "Thái Bình",
    "VN-69": "Thái Nguyên",
    "VN-21": "Thanh Hóa",
    "VN-26": "Thừa Thiên Huế",
    "VN-46": "Tiền Giang",
    "VN-51": "Trà Vinh",
    "VN-07": "Tuyên Quang",
    "VN-49": "Vĩnh Long",
    "VN-70": "Vĩnh Phúc",
    "VN-06": "Yên Bái",
}

# A scan whose place the edge did not tell: only national scopes see it.
NO_PLACE = "-"
# ``custom:provinces`` of a national inspector (the central market-surveillance office).
EVERYWHERE = "*"


def _fold(text: str) -> str:
    """Lower case, no diacritics, no punctuation or spaces: 'Thừa Thiên–Huế' -> 'thuathienhue'."""
    plain = ascii_text(text).lower()
    for prefix in ("tinh ", "thanh pho ", "tp. ", "tp "):
        if plain.startswith(prefix):
            plain = plain[len(prefix) :]
    return "".join(c for c in plain if c.isalnum())


_BY_NAME = {_fold(name): code for code, name in NAMES.items()}
_BY_NAME.update({"hue": "VN-26", "tphcm": "VN-SG", "hochiminh": "VN-SG", "saigon": "VN-SG", "brvt": "VN-43"})


def to_code(value: str) -> str | None:
    """'Thái Nguyên', 'thai nguyen', 'VN-69' or '69' -> 'VN-69'; None if not a province."""
    value = (value or "").strip()
    upper = value.upper()
    if upper in NAMES:
        return upper
    if f"VN-{upper}" in NAMES:
        return f"VN-{upper}"
    return _BY_NAME.get(_fold(value))


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", ascii_text(text).lower()))


_WORDS: list[tuple[tuple[str, ...], str]] = [(_words(name), code) for code, name in NAMES.items()]
_WORDS += [(("hue",), "VN-26"), (("hanoi",), "VN-HN"), (("tphcm",), "VN-SG"), (("hcm",), "VN-SG")]
_WORDS += [(("sai", "gon"), "VN-SG"), (("saigon",), "VN-SG")]


def named_in(text: str | None) -> str | None:
    """The province a free text names (a consumer's "where I bought it"), as a code; None if none.

    Words are compared without diacritics or case ("cho dong xuan, ha noi" names VN-HN).
    Vietnamese addresses end with the province, so when several are named the last one
    wins ("đường Lạng Sơn, Hà Nội" is in Hà Nội).
    """
    words = _words(text or "")
    found: tuple[int, str] | None = None
    for name, code in _WORDS:
        n = len(name)
        for i in range(len(words) - n + 1):
            if words[i : i + n] == name and (found is None or i + n > found[0]):
                found = (i + n, code)
    return found[1] if found else None


def name_of(code: str | None) -> str:
    if not code or code == NO_PLACE:
        return "không rõ"
    return NAMES.get(code, code)
