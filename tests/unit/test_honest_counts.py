"""Issue 11, without AWS: which requests are a person's scan, the repeat rule from distinct
scanners, the link card machines get, and the page that still shows the verdict when the
full page cannot be drawn."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers.scan_results import GENUINE, REPEAT, result
from ocop_stamps.core.vocabulary import ScanKind, Verdict
from ocop_stamps.pages import preview_page, scan_page
from ocop_stamps.pages.safe_page import render_fallback
from ocop_stamps.scanning.privacy import client_hash
from ocop_stamps.scanning.scanners import scanner_of, spread
from ocop_stamps.scanning.traffic import classify
from ocop_stamps.scanning.verdicts import StampFacts, judge

PHONE = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
)

# A representative user agent of each family, as the agents send them.
PREVIEWS = {
    "facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "facebook-bot": "Facebot",
    "imessage": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
    "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    "twitter": "Twitterbot/1.0",
    "slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "telegram": "TelegramBot (like TwitterBot)",
    "whatsapp": "WhatsApp/2.23.20.0 A",
    "linkedin": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "zalo": "Zalo",
    "viber": "Viber/20.3.0.1 CFNetwork/1410.0.3 Darwin/22.6.0",
    "skype": "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "pinterest": "Pinterest/0.2 (+https://www.pinterest.com/bot.html)",
    "embedly": "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    "iframely": "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    "applebot": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
}
BOTS = {
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "coccocbot": "Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine)",
    "yandex": "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "baidu": "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "duckduckgo": "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "petalbot": "Mozilla/5.0 (compatible;PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
    "generic": "SomeCrawler/3.1 (+https://example.com/crawler)",
    "outlook": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)",
    "bingpreview": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/115.0.0.0 Safari/537.36 Edg/115.0.1901.188 BingPreview/1.0b",
    "barracuda": "Barracuda Sentinel (EE)",
    "headless": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
}
PEOPLE = {
    "android-chrome": PHONE,
    "iphone-safari": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
    "zalo-in-app": "Mozilla/5.0 (Linux; Android 12; SM-A125F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Version/4.0 Chrome/119.0.6045.193 Mobile Safari/537.36 Zalo android/12100592 ZaloTheme/light",
    "facebook-in-app": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.35.109;FBLC/vi_VN]",
    "coc-coc-browser": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "coc_coc_browser/117.0.216 Chrome/111.0.5563.216 Safari/537.36",
    "cubot-phone": "Mozilla/5.0 (Linux; Android 11; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0 Mobile Safari/537.36",
    # HTTP libraries count as people: apps scan on a person's behalf, producers check with curl
    "curl": "curl/8.5.0",
    "python-requests": "python-requests/2.31.0",
    "okhttp": "okhttp/4.12.0",
}
PREFETCH_HEADERS = [
    {"sec-purpose": "prefetch"},
    {"sec-purpose": "prefetch;prerender"},
    {"purpose": "prefetch"},
    {"x-purpose": "preview"},
    {"x-moz": "prefetch"},
]


@pytest.mark.parametrize("ua", PREVIEWS.values(), ids=PREVIEWS.keys())
def test_given_a_chat_apps_link_unfurler_then_a_preview(ua: str):
    assert classify("GET", {"user-agent": ua}).kind == ScanKind.preview


@pytest.mark.parametrize("ua", BOTS.values(), ids=BOTS.keys())
def test_given_a_crawler_or_a_mail_link_scanner_then_a_bot(ua: str):
    assert classify("GET", {"user-agent": ua}).kind == ScanKind.bot


@pytest.mark.parametrize("ua", PEOPLE.values(), ids=PEOPLE.keys())
def test_given_a_browser_an_in_app_browser_or_an_http_library_then_a_person(ua: str):
    assert classify("GET", {"user-agent": ua}).kind == ScanKind.person


@pytest.mark.parametrize("headers", PREFETCH_HEADERS, ids=lambda h: "=".join(next(iter(h.items()))))
def test_given_a_browsers_prefetch_or_prerender_then_a_prefetch_whatever_the_browser(headers: dict[str, str]):
    assert classify("GET", {"user-agent": PHONE, **headers}).kind == ScanKind.prefetch


def test_given_a_head_request_or_no_user_agent_then_not_a_person():
    assert classify("HEAD", {"user-agent": PHONE}).kind == ScanKind.head
    assert classify("GET", {}) == (ScanKind.bot, "no-user-agent")
    assert classify("GET", {"user-agent": PREVIEWS["facebook"]}).agent == "facebook"


# --- repeat: distinct scanners, not page loads ---------------------------------------------------
def _facts(scanners: int, threshold: int = 5) -> StampFacts:
    return StampFacts(activated=True, scanners=scanners, repeat_threshold=threshold)


def test_given_one_device_checking_fifty_times_then_never_repeat():
    assert judge(_facts(1), dt.date(2026, 11, 23)) == [Verdict.genuine]


def test_given_more_distinct_scanners_than_the_threshold_then_repeat():
    today = dt.date(2026, 11, 23)
    assert judge(_facts(5), today) == [Verdict.genuine]
    assert judge(_facts(6), today) == [Verdict.repeat]
    assert judge(_facts(2, threshold=1), today) == [Verdict.repeat]


def test_given_the_stored_scanners_then_this_device_only_when_every_scan_came_from_it():
    me = scanner_of(client_hash(b"salt", "203.0.113.7"))
    other = scanner_of(client_hash(b"salt", "198.51.100.1"))
    assert spread({me}, me) == (1, True)
    assert spread({me, other}, me) == (2, False)
    assert spread(None, me) == (0, False)
    assert spread({me}, None) == (1, False)  # a request without an address is nobody's device


def test_given_a_phone_whose_ipv6_address_changes_then_the_same_scanner():
    assert client_hash(b"s", "2001:db8:4:7:a1b2::1") == client_hash(b"s", "2001:db8:4:7:ffff:1:2:3")
    assert client_hash(b"s", "2001:db8:4:7::1") != client_hash(b"s", "2001:db8:4:8::1")


# --- what the pages say --------------------------------------------------------------------------
def test_given_a_buyer_checking_their_own_jar_five_times_then_the_page_says_all_from_this_device():
    page = scan_page.render(result("genuine", scan={"count": 5, "scanners": 1, "this_device_only": True}))
    assert "Tem chính hãng" in page
    assert "Mã này đã được kiểm tra 5 lần, đều từ thiết bị này." in page
    english = scan_page.render(result("genuine", scan={"count": 5, "this_device_only": True}), "en")
    assert "This code has been checked 5 times, all from this device." in english


def test_given_a_copied_label_then_the_warning_says_how_many_devices_checked_it():
    page = scan_page.render(result("repeat", scan={"count": 9, "scanners": 7, "this_device_only": False}))
    assert "từ ít nhất 7 thiết bị khác nhau" in page


def test_given_a_preview_then_open_graph_tags_with_product_producer_and_stars_and_no_verdict():
    page = preview_page.render_preview({**GENUINE, "label_url": "https://tem.example.vn/v/1ABCDEFGHJKMNPQR"})
    assert '<meta property="og:title" content="Lạp sườn Tâm Hòa">' in page
    assert 'property="og:description" content="' in page and "OCOP 4 sao ★★★★" in page
    assert '<meta property="og:site_name" content="Tem truy xuất OCOP">' in page
    assert '<meta property="og:url" content="https://tem.example.vn/v/1ABCDEFGHJKMNPQR">' in page
    assert "chính hãng</" not in page and "data-verdict" not in page and "kiểm tra 1 lần" not in page
    assert '<meta name=robots content="noindex">' in page


def test_given_producer_text_with_markup_then_the_card_escapes_it():
    hostile = result("genuine", product={"name": '"><script>alert(1)</script>', "ocop": None})
    page = preview_page.render_preview(hostile)
    assert "<script>" not in page and "&quot;&gt;&lt;script&gt;" in page


def test_given_a_page_that_cannot_render_then_the_fallback_still_shows_the_verdict_and_a_retry_that_counts_nothing():
    warning = {"vi": "Cảnh báo: mã tem này đã được kiểm tra nhiều lần", "en": "Warning"}
    page = render_fallback(
        {**REPEAT, "message": warning, "product": object()}, "vi", "/v/1ABCDEFGHJKMNPQR?lang=vi&view=t.k"
    )
    assert 'data-verdict="repeat"' in page and warning["vi"] in page
    assert 'href="/v/1ABCDEFGHJKMNPQR?lang=vi&amp;view=t.k"' in page
    broken = render_fallback({"verdict": "repeat", "message": None, "scan": 3, "code": ["not", "text"]})
    assert 'data-verdict="repeat"' in broken  # stored data of the wrong shape is left out, never fatal


def test_given_a_withdrawn_or_lapsed_ocop_rating_then_the_link_card_claims_no_stars():
    for ocop in ({"stars": 4, "status": "withdrawn"}, {"stars": 4, "valid_until": "2020-01-01"}):
        card = preview_page.card(result("genuine", product={"name": "Chè Tân Cương", "ocop": ocop}), "vi")
        assert "sao" not in card["description"] and "★" not in card["description"]
    card = preview_page.card(result("genuine", product={"name": "Chè Tân Cương", "ocop": {"stars": 4}}), "en")
    assert card["description"].endswith("4-star OCOP ★★★★")
