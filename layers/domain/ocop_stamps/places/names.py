"""Names of places compared as people type them: no case, no diacritics, no unit word in front.

'Tỉnh Thái Nguyên', 'thai nguyen' and 'THÁI NGUYÊN' fold alike; so do 'Xã Kha Sơn', 'xa kha son'
and 'Kha Sơn'. The unit word is dropped only in front ('Phường Thành Phố' is not 'Phố').
"""

from __future__ import annotations

import re

from ocop_stamps.core.vocabulary import ascii_text

_PROVINCE_WORDS = ("tinh ", "thanh pho ", "tp. ", "tp.", "tp ", "t.p. ", "t.p.", "t.p ", "t. ")
_COMMUNE_WORDS = ("xa ", "phuong ", "dac khu ", "thi tran ", "p. ", "x. ", "tt. ", "tt ")
_DISTRICT_WORDS = ("huyen ", "quan ", "thi xa ", "thanh pho ", "tp. ", "tp ", "h. ", "q. ", "tx. ", "tx ")


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", ascii_text(text or "").lower().replace("-", " ")).strip()


def _fold(text: str, words: tuple[str, ...]) -> str:
    plain = _plain(text)
    for word in words:
        if plain.startswith(word):
            plain = plain[len(word) :]
            break
    return "".join(c for c in plain if c.isalnum())


def fold_province(text: str) -> str:
    """'Thành phố Hồ Chí Minh' -> 'hochiminh'; 'TP. Huế' -> 'hue'."""
    return _fold(text, _PROVINCE_WORDS)


def fold_commune(text: str) -> str:
    """'Xã Kha Sơn' -> 'khason'; 'Phường 12' -> '12'; 'Đặc khu Côn Đảo' -> 'condao'."""
    return _fold(text, _COMMUNE_WORDS)


def fold_district(text: str) -> str:
    """'Huyện Phú Bình' -> 'phubinh'; 'Thị xã Sơn Tây' -> 'sontay'."""
    return _fold(text, _DISTRICT_WORDS)


def fold_full(text: str) -> str:
    """The whole name, unit word included: 'Xã Kha Sơn' -> 'xakhason' (tells 'Xã An Phú' from 'Phường An Phú')."""
    return "".join(c for c in _plain(text) if c.isalnum())
