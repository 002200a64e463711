"""Who is asking for a stamp's page: a person, or a machine that must not count as a scan.

``classify(method, headers)`` answers one of ``core.vocabulary.ScanKind``, with the name of
the agent when it is a machine (kept in the log as ``ua_family``):

1. ``head``: a HEAD request (link checkers; the page's headers without its body).
2. ``prefetch``: a browser fetching ahead of a navigation that may never happen --
   ``Sec-Purpose: prefetch`` (Chromium's speculation rules and ``<link rel=prefetch>``,
   ``prefetch;prerender`` for a prerender), ``Purpose: prefetch|preview``,
   ``X-Purpose: preview|prefetch`` (Safari), ``X-Moz: prefetch`` (Firefox).
3. ``preview``: the link unfurlers of chat apps and social networks, which fetch a shared
   link to draw its card (``PREVIEWS``: Facebook, Messenger, Instagram and Threads,
   iMessage, Zalo, Viber, WhatsApp and Signal, Telegram, Twitter/X, Slack, Discord, LinkedIn,
   Skype and Teams, Pinterest, Reddit, KakaoTalk, Mastodon, Bluesky, Embedly, Iframely,
   Applebot...). Zalo and Viber do not publish their fetchers' user agents: a user agent
   naming the app but carrying no browser engine and no device is taken for the fetcher,
   while their in-app browsers (``Mozilla/5.0 (Linux; Android ...) AppleWebKit ... Zalo
   android/...``) are people.
4. ``bot``: search and AI crawlers (Googlebot, bingbot, coccocbot -- Cốc Cốc's crawler, not
   its browser --, YandexBot, Baiduspider, DuckDuckBot, PetalBot, GPTBot, ClaudeBot...),
   mail link scanners that say who they are (Outlook and Microsoft Office link discovery,
   BingPreview, Barracuda, Proofpoint, Mimecast...), headless and automated browsers, any
   user agent with a crawler word in it (``bot``, ``crawl``, ``spider``, ``slurp``,
   ``scrape``, ``preview``...), and a request with no user agent at all.
5. ``person``: everything else -- browsers, in-app browsers (Zalo, Facebook, Cốc Cốc), and
   HTTP libraries. Decision: ``curl``, ``python-requests``, ``okhttp``, ``Dart``,
   ``CFNetwork``... count as people, because the JSON answer is for apps that scan on a
   person's behalf (with their platform's HTTP library as user agent) and because producers
   and the README check a stamp with curl. They cannot fake a copy: a stamp reads
   ``repeat`` only when several *scanners* checked it (``scanning.scanners``), and one
   script on one network is one scanner.

The user agent is the client's word: it decides what a request *counts*, never what it is
*allowed*. Unknown codes fetched by any kind still feed the enumeration counters and
alerts (docs/COUNTING.md).

Our own list, not a library: the maintained ones (crawlerdetect, crawler-user-agents,
is-crawler) cost 87-94 ms on a cold start of the public function (import plus compiling a
1,400-pattern expression on the first call; measured in docs/COUNTING.md), against a whole
function budget of about 1.2x ``import boto3``; they also call the HTTP libraries bots and
know neither Zalo's fetcher nor the preview/bot distinction. These few expressions compile
in well under a millisecond.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from ocop_stamps.core.vocabulary import ScanKind

_MAX_UA = 512


class Traffic(NamedTuple):
    """What a request is: its kind and, for a machine, the agent's short name."""

    kind: ScanKind
    agent: str | None = None


PERSON = Traffic(ScanKind.person)

# A browser's marks -- an engine, or the device in "Mozilla/5.0 (iPhone; ...)": an app's own
# link fetcher (Zalo, Viber) has neither, its in-app browser has both.
_BROWSER = re.compile(
    r"applewebkit|gecko/|trident/|presto/|\((?:iphone|ipad|linux|android|windows|macintosh)", re.IGNORECASE
)


def _rules(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in pairs)


# (agent, pattern) in order; the first match names the agent.
PREVIEWS = _rules(
    (
        ("facebook", r"facebookexternalhit|facebot|facebookcatalog|meta-externalfetcher"),  # also iMessage, Threads
        ("twitter", r"twitterbot"),
        ("slack", r"slackbot|slack-imgproxy"),
        ("discord", r"discordbot"),
        ("telegram", r"telegrambot"),
        ("whatsapp", r"\bwhatsapp/"),  # WhatsApp; Signal sends the same
        ("linkedin", r"linkedinbot"),
        ("skype", r"skypeuripreview|microsoftpreview"),  # Skype and Microsoft Teams
        ("pinterest", r"pinterest(?:bot)?/"),
        ("reddit", r"redditbot"),
        ("kakaotalk", r"kakaotalk-scrap"),
        ("vkontakte", r"vkshare"),
        ("mastodon", r"^mastodon/"),
        ("bluesky", r"cardyb"),
        ("embedly", r"embedly"),
        ("iframely", r"iframely"),
        ("applebot", r"applebot"),
        ("google-snippet", r"google-pagerenderer"),
        ("snapchat", r"snap url preview"),
    )
)
# Apps whose link fetcher is known only by the app's name without a browser engine.
_APP_FETCHERS = _rules((("zalo", r"zalo"), ("viber", r"viber")))

BOTS = _rules(
    (
        (
            "googlebot",
            r"googlebot|adsbot-google|mediapartners-google|google-inspectiontool|googleother|"
            r"storebot-google|feedfetcher-google|google-safety|google-read-aloud|googleimageproxy",
        ),
        ("bing", r"bingbot|bingpreview|msnbot|adidxbot"),
        ("coccocbot", r"coccocbot|\bcoccoc/"),  # the crawler; the browser says coc_coc_browser
        ("yandex", r"yandex(?:bot|images|mobilebot|renderresourcesbot|accessibilitybot)"),
        ("baidu", r"baiduspider"),
        ("duckduckgo", r"duckduckbot|duckassistbot"),
        ("petalbot", r"petalbot"),
        ("sogou", r"sogou"),
        ("yahoo", r"slurp"),
        ("seznam", r"seznambot"),
        (
            "ai-crawler",
            r"gptbot|chatgpt-user|oai-searchbot|claudebot|claude-user|claude-searchbot|"
            r"perplexitybot|perplexity-user|bytespider|amazonbot|ccbot|meta-externalagent|cohere-ai",
        ),
        ("archiver", r"ia_archiver|archive\.org_bot"),
        ("microsoft-office", r"microsoft office|ms-office|microsoft outlook|ms office protocol discovery"),
        (
            "mail-scanner",
            r"safelinks|barracuda|proofpoint|mimecast|ironport|trendmicro|cloudmark|"
            r"forcepoint|urldefense|sophos|fireeye|symantec",
        ),
        ("headless", r"headlesschrome|phantomjs|chrome-lighthouse|puppeteer|playwright|selenium"),
        ("monitor", r"uptimerobot|pingdom|statuscake|site24x7|newrelicpinger|datadog synthetic"),
        ("crawler", r"bot\b|bot/|crawl|spider|slurp|scrape|preview|indexer|\barchiver\b|linkcheck|checklink"),
    )
)
# Not crawlers though they look like one: Cubot phones ("CUBOT X30").
_NOT_BOTS = re.compile(r"cubot", re.IGNORECASE)

_PREFETCH_HEADERS = (
    ("sec-purpose", "prefetch"),  # "prefetch", "prefetch;prerender", "prefetch;anonymous-client-ip"
    ("purpose", "prefetch"),
    ("purpose", "preview"),
    ("x-purpose", "preview"),
    ("x-purpose", "prefetch"),
    ("x-moz", "prefetch"),
)


def _prefetch(headers: Mapping[str, str]) -> bool:
    return any(word in (headers.get(name) or "")[:64].lower() for name, word in _PREFETCH_HEADERS)


def classify(method: str, headers: Mapping[str, str]) -> Traffic:
    """The kind of one request to a stamp's page; ``headers`` with lower-case names.

    Order: HEAD, then prefetch headers, then the user agent (first 512 characters):
    previews, app fetchers, bots, else a person. See the module docstring for each list.
    """
    if method.upper() == "HEAD":
        return Traffic(ScanKind.head)
    if _prefetch(headers):
        return Traffic(ScanKind.prefetch, "prefetch")
    ua = (headers.get("user-agent") or "").strip()[:_MAX_UA]
    if not ua:
        return Traffic(ScanKind.bot, "no-user-agent")
    for name, pattern in PREVIEWS:
        if pattern.search(ua):
            return Traffic(ScanKind.preview, name)
    if not _BROWSER.search(ua):
        for name, pattern in _APP_FETCHERS:
            if pattern.search(ua):
                return Traffic(ScanKind.preview, name)
    for name, pattern in BOTS:
        if pattern.search(ua) and not (name == "crawler" and _NOT_BOTS.search(ua)):
            return Traffic(ScanKind.bot, name)
    return PERSON
