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
   Skype and Teams, Pinterest's crawler (its in-app browser is a person), Reddit, KakaoTalk, Mastodon, Bluesky, Embedly, Iframely,
   Applebot...). Zalo and Viber do not publish their fetchers' user agents: a user agent
   naming the app but carrying no browser engine and no device is taken for the fetcher,
   while their in-app browsers (``Mozilla/5.0 (Linux; Android ...) AppleWebKit ... Zalo
   android/...``) are people.
4. ``bot``: search and AI crawlers (Googlebot, bingbot, coccocbot -- Cốc Cốc's crawler, not
   its browser --, YandexBot, Baiduspider, DuckDuckBot, PetalBot, GPTBot, ClaudeBot...),
   mail link scanners that say who they are (Outlook and Microsoft Office link discovery,
   BingPreview, Barracuda, Proofpoint, Mimecast...), headless and automated browsers, any
   user agent with a crawler word in it (``bot``, ``crawl``, ``spider``, ``slurp``,
   ``scrape``, ``preview``...), Google's other fetchers (APIs-Google, Google Favicon), and a
   request with no user agent at all (absent, empty, or the placeholder ``-``).
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
know neither Zalo's fetcher nor the preview/bot distinction. These lists are substrings of
the lower-cased user agent: a few microseconds per request, nothing to compile.
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

# Lists of lower-case substrings, tried in order on the lower-cased user agent: ``in`` is
# a fraction of a microsecond where an alternation of regular expressions costs tens.
Rules = tuple[tuple[str, tuple[str, ...]], ...]

# A browser's marks -- an engine, or the device in "Mozilla/5.0 (iPhone; ...)": an app's own
# link fetcher (Zalo, Viber) has neither, its in-app browser has both.
_BROWSER = (
    "applewebkit",
    "gecko/",
    "trident/",
    "presto/",
    "(iphone",
    "(ipad",
    "(linux",
    "(android",
    "(windows",
    "(mac",
)

# (agent, substrings): the first rule with a match names the agent.
PREVIEWS: Rules = (
    ("facebook", ("facebookexternalhit", "facebot", "facebookcatalog", "meta-externalfetcher")),  # also iMessage
    ("twitter", ("twitterbot",)),
    ("slack", ("slackbot", "slack-imgproxy")),
    ("discord", ("discordbot",)),
    ("telegram", ("telegrambot",)),
    ("whatsapp", ("whatsapp/",)),  # WhatsApp; Signal sends the same
    ("linkedin", ("linkedinbot",)),
    ("skype", ("skypeuripreview", "microsoftpreview")),  # Skype and Microsoft Teams
    # the crawler only: the in-app browser ("... Mobile Safari/537.36 [Pinterest/Android]") is a person
    ("pinterest", ("pinterest/0.", "pinterestbot", "pinterest.com/bot")),
    ("reddit", ("redditbot",)),
    ("kakaotalk", ("kakaotalk-scrap",)),
    ("vkontakte", ("vkshare",)),
    ("mastodon", ("mastodon/",)),
    ("bluesky", ("cardyb",)),
    ("embedly", ("embedly",)),
    ("iframely", ("iframely",)),
    ("applebot", ("applebot",)),
    ("google-snippet", ("google-pagerenderer",)),
    ("snapchat", ("snap url preview",)),
)
# Apps whose link fetcher is known only by the app's name without a browser's marks.
_APP_FETCHERS: Rules = (("zalo", ("zalo",)), ("viber", ("viber",)))

BOTS: Rules = (
    (
        "googlebot",
        (
            "googlebot",
            "adsbot-google",
            "mediapartners-google",
            "google-inspectiontool",
            "googleother",
            "storebot-google",
            "feedfetcher-google",
            "google-safety",
            "google-read-aloud",
            "googleimageproxy",
            "apis-google",
            "google favicon",
        ),
    ),
    ("bing", ("bingbot", "bingpreview", "msnbot", "adidxbot")),
    ("coccocbot", ("coccocbot", "coccoc/")),  # the crawler; the browser says coc_coc_browser
    ("yandex", ("yandexbot", "yandeximages", "yandexmobilebot", "yandexrenderresourcesbot")),
    ("baidu", ("baiduspider",)),
    ("duckduckgo", ("duckduckbot", "duckassistbot")),
    ("petalbot", ("petalbot",)),
    ("sogou", ("sogou",)),
    ("yahoo", ("slurp",)),
    ("seznam", ("seznambot",)),
    (
        "ai-crawler",
        (
            "gptbot",
            "chatgpt-user",
            "oai-searchbot",
            "claudebot",
            "claude-user",
            "claude-searchbot",
            "perplexitybot",
            "perplexity-user",
            "bytespider",
            "amazonbot",
            "ccbot",
            "meta-externalagent",
            "cohere-ai",
        ),
    ),
    ("archiver", ("ia_archiver", "archive.org_bot")),
    ("microsoft-office", ("microsoft office", "ms-office", "microsoft outlook")),
    (
        "mail-scanner",
        (
            "safelinks",
            "barracuda",
            "proofpoint",
            "mimecast",
            "ironport",
            "trendmicro",
            "cloudmark",
            "forcepoint",
            "urldefense",
            "sophos",
            "fireeye",
            "symantec",
        ),
    ),
    ("headless", ("headlesschrome", "phantomjs", "chrome-lighthouse", "puppeteer", "playwright", "selenium")),
    ("monitor", ("uptimerobot", "pingdom", "statuscake", "site24x7", "newrelicpinger", "datadog synthetic")),
    ("crawler", ("crawl", "spider", "scrape", "preview", "indexer", "archiver", "linkcheck", "checklink")),
)
# "bot" as a word's end ("Googlebot/2.1", "SomeBot 1.0"), but not the Cubot phone ("CUBOT X30").
_BOT_WORD = re.compile(r"bot(?:\b|/)")


def _flat(rules: Rules) -> tuple[tuple[str, str], ...]:
    return tuple((word, name) for name, words in rules for word in words)


_PREVIEW_WORDS, _APP_WORDS, _BOT_WORDS = _flat(PREVIEWS), _flat(_APP_FETCHERS), _flat(BOTS)


def _first(words: tuple[tuple[str, str], ...], ua: str) -> str | None:
    """The agent of the first word found in ``ua`` (a plain loop: the person's path tries them all)."""
    for word, name in words:
        if word in ua:
            return name
    return None


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

    Order: HEAD, then prefetch headers, then the user agent (first 512 characters,
    lower-cased): previews, app fetchers, bots, else a person. See the module docstring.
    """
    if method.upper() == "HEAD":
        return Traffic(ScanKind.head)
    if _prefetch(headers):
        return Traffic(ScanKind.prefetch, "prefetch")
    ua = (headers.get("user-agent") or "").strip()[:_MAX_UA].lower()
    if not ua.strip("-_. "):  # absent, empty, or a log's placeholder "-": a script, not a phone
        return Traffic(ScanKind.bot, "no-user-agent")
    agent = _first(_PREVIEW_WORDS, ua)
    if agent is None and not any(mark in ua for mark in _BROWSER):
        agent = _first(_APP_WORDS, ua)
    if agent is not None:
        return Traffic(ScanKind.preview, agent)
    agent = _first(_BOT_WORDS, ua)
    if agent is None and "bot" in ua and "cubot" not in ua and _BOT_WORD.search(ua):
        agent = "crawler"
    return PERSON if agent is None else Traffic(ScanKind.bot, agent)
