"""The demo data a Vietnamese page shows is Vietnamese (docs/WORDS.md): the texts the local stack
sends for its demo producers, products and lots carry no English sentence; 'demo' marks what is
invented, as the demo file asks (infra/local/ocop_local/ocop-demo.json)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ocop_local import demo
from unit.test_words import ENGLISH


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) else []


def test_given_the_demo_data_then_no_text_it_shows_on_a_vietnamese_page_has_an_english_word():
    bodies = []
    for producer in demo.demo_data()["producers"]:
        bodies.append(demo.producer_body(producer))
        for n, product in enumerate(producer["products"]):
            bodies.append(demo.product_body(producer, product, n, gtin=None))
            for made in (dt.date(2024, 5, 1), dt.date(2026, 11, 1)):
                bodies.append(demo.lot_body(producer, product, "prd_x", production=made, expiry=dt.date(2028, 1, 1)))

    shown = [
        t
        for body in bodies
        for key, v in body.items()
        if key not in ("producer_id", "product_id", "group", "kind")
        for t in _texts(v)
    ]
    english = {
        (text, word)
        for text in shown
        for word in re.findall(r"[A-Za-z]+", text)
        if word.lower() in ENGLISH - {"demo"} and not re.fullmatch(r"[a-z0-9_-]+", text)
    }
    assert english == set()
