"""Issue 11 on the local stack, over real HTTP: a link shared in a chat is unfurled with the
product's card and counts nothing; a browser's prefetch is refused so the real visit counts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from helpers.local_stack import LocalStack

FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
JSON = {"Accept": "application/json"}


def test_given_a_stamps_link_unfurled_in_chats_then_a_card_and_the_buyers_count_moves_by_one(
    local_stack: LocalStack,
) -> None:
    url = local_stack.summary.stamps["genuine"]
    before = requests.get(url, headers=JSON, timeout=30).json()["scan"]["count"]

    cards = [requests.get(url, headers={"User-Agent": ua}, timeout=30) for ua in (FACEBOOK, "Zalo", "TelegramBot")]
    prefetch = requests.get(url, headers={"Sec-Purpose": "prefetch"}, timeout=30)
    after = requests.get(url, headers=JSON, timeout=30).json()

    assert all(c.status_code == 200 for c in cards)
    assert re.search(r'<meta property="og:title" content="[^"]+">', cards[0].text)
    assert 'property="og:site_name" content="Tem truy xuất OCOP"' in cards[0].text
    assert "data-verdict" not in cards[0].text
    assert prefetch.status_code == 503 and prefetch.headers["Retry-After"]
    assert after["verdict"] == "genuine" and after["scan"]["count"] == before + 1
    assert after["scan"]["this_device_only"] is True
