"""The SMS channel (issue 14, docs/SMS.md): a buyer texts a stamp's code -- and the PIN under
its scratch-off layer -- to the service's number and gets the verdict back.

A telco SMS gateway posts each inbound message to ``POST /sms/inbound``
(``functions/sms_inbound``) with the shared secret in ``X-Gateway-Secret`` (``authenticate``)
and sends our reply to the sender. What happens to one message:

1. ``parse_text``: the optional keyword ``OCOP``, the code (read by ``codes.typed`` as every
   entry point reads one: case, separators, a Vietnamese keyboard's accents, a pasted URL),
   and an optional trailing PIN (``PIN_DIGITS`` digits). No I/O.
2. ``scanning.verification.verify`` with channel ``sms``: counted and logged like any scan of
   a person (docs/COUNTING.md). The sender's "address" is its number (``sender_address``),
   so the log keeps only the salted hash ``privacy.client_hash`` makes of it, the unknown-code
   limit holds per phone, and one phone is one scanner. No place: a text message has no edge.
3. With a PIN, on a stamp that reads genuine or repeat: the injected ``check_pin`` (the
   two-layer stamp's own domain function; None until it is wired: the reply points to the
   stamp's page). Without one, the verdict's reply.
4. The reply: Vietnamese folded to GSM-7's basic set (``gsm7``: no diacritics, đ -> d), at
   most ``MAX_SMS`` characters -- one SMS segment -- the product's name cut to fit (``render``).

``answer_once`` runs this once per gateway message id (Powertools idempotency on the
idempotency table): a gateway's retry of the same message gets the same reply and counts
nothing. Standard library and the scan path's modules only, but for ``answer_once``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any, NamedTuple

from ocop_stamps.codes.labels import page_url
from ocop_stamps.codes.pins import PIN_DIGITS as PIN_LENGTH
from ocop_stamps.codes.scheme import CODE_LENGTH, CodeKeys, group
from ocop_stamps.codes.typed import read
from ocop_stamps.core import words
from ocop_stamps.core.dates import show
from ocop_stamps.core.errors import BadRequest, Conflict, Forbidden, Unauthorized, Unavailable, unavailable
from ocop_stamps.core.ids import utc_now
from ocop_stamps.core.vocabulary import PinOutcome as PinVerdict
from ocop_stamps.core.vocabulary import Verdict, ascii_text
from ocop_stamps.observability import logger
from ocop_stamps.scanning.verification import ScanContext, verify
from ocop_stamps.storage.parameters import code_keys, sms_secrets

CHANNEL = "sms"
MAX_SMS = 160  # GSM-7 characters in one segment (3GPP TS 23.038); a longer reply would cost two
KEYWORD = "OCOP"  # optional first word of a message: "OCOP <code> [PIN]"
PIN_DIGITS = (4, 12)  # a trailing run of this many digits is a PIN, never part of the code
SECRET_HEADER = "x-gateway-secret"  # noqa: S105 - the header's name, not a secret
LANG = "vi"  # replies are Vietnamese (docs/SMS.md: a text to a Vietnamese number)
RECEIVED_WINDOW = dt.timedelta(hours=24)  # a gateway's received_at older than this is not believed
CLOCK_SKEW = dt.timedelta(minutes=5)

# The GSM 03.38 default alphabet's basic set (3GPP TS 23.038, 6.2.1), without the escape to
# the extension table: each of these is one septet, so 160 of them fit one segment.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# What people type that GSM-7's basic set lacks, as the nearest basic characters.
_NEAREST = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "[": "(",
        "]": ")",
        "{": "(",
        "}": ")",
        "|": "/",
        "\\": "/",
        "~": "-",
        "^": "",
        "€": "EUR",
        "`": "'",
        "•": "-",
        "·": "-",
        "×": "x",
        "™": "",
        "®": "",
        "©": "",
    }
)

# What check_pin says (the two-layer stamp's outcomes, issue 14).
PIN_FIRST = "first"  # this confirmation is the stamp's first: the buyer claimed it
PIN_AGAIN = "again"  # a right PIN, already confirmed before (when, where)
PIN_WRONG = "wrong"  # not this stamp's PIN; ``tries_left`` more before it locks
PIN_LOCKED = "locked"  # too many wrong PINs: the stamp takes none now
PIN_WEB = "web"  # not checked here: no checker wired, the reply points to the stamp's page
PIN_FORMAT = "format"  # not a scratch-off PIN (8 digits): nothing counted, the reply says how to send it
PIN_NONE = "none"  # a one-layer stamp: it has no PIN, the verdict is the reply
PIN_BUSY = "busy"  # the checker could not reach its data now: the reply asks to send again


class PinOutcome(NamedTuple):
    """What ``check_pin`` found; ``claimed_at`` (ISO 8601 UTC) and ``province`` (a name, None
    when unplaced) are the first confirmation's, for ``PIN_AGAIN``; ``tries_left`` for ``PIN_WRONG``."""

    kind: str
    claimed_at: str | None = None
    province: str | None = None
    tries_left: int | None = None


CheckPin = Callable[[str, str, ScanContext, dt.datetime], PinOutcome]
"""(code, PIN, the scan's context, now) -> the outcome. Records the claim or the failed try
itself; raises ``Unavailable`` when its data store keeps refusing (the reply then says so)."""


class SmsQuery(NamedTuple):
    """What a message asks: the code as typed (``""`` when it carries none) and the PIN, if any."""

    code: str
    pin: str | None = None


class SmsReply(NamedTuple):
    """The answer to one message: ``text`` (GSM-7 basic set, at most ``MAX_SMS``), the scan's
    headline verdict (None when no scan was made: a message without a code gets the help text)
    and what became of its PIN (``PIN_*``; None without one)."""

    text: str
    verdict: str | None = None
    pin: str | None = None


# --- the sender ------------------------------------------------------------------------------
def normalize_phone(raw: str) -> str:
    """A sender's number in E.164 (``+84912345678``): Vietnamese national numbers (``0912…``) and
    ``84…`` without the plus read as Vietnam's; ``00`` as the international prefix. A sender
    with no digits (an alphanumeric sender id) is kept as its lower-cased letters."""
    text = raw.strip()
    digits = re.sub(r"\D", "", text)
    if not digits:
        return re.sub(r"\s+", "", text).lower()
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return "+84" + digits[1:]
    return "+" + digits


def sender_address(raw: str) -> str:
    """What stands for the sender's address in a ``ScanContext``: ``sms/`` + its E.164 number.
    ``privacy.client_hash`` keeps only its salted HMAC (never the number); the prefix keeps a
    phone's hash apart from any IP address's (no address has a slash and no colon)."""
    return "sms/" + normalize_phone(raw)


# --- the shared secret -------------------------------------------------------------------------
def authenticate(presented: str | None) -> None:
    """Pass a gateway's request whose ``X-Gateway-Secret`` is an accepted value of the secret
    (compared in constant time with each, ``storage.parameters.sms_secrets``).

    Raises ``Unauthorized`` (401) without the header, ``Forbidden`` (403) with a wrong value,
    ``Unavailable`` (503, Retry-After) when the secret cannot be read now (Secrets Manager
    failing, or none configured: an operator's fault the gateway's retry may outlive)."""
    if not presented:
        raise Unauthorized(
            "Missing X-Gateway-Secret: the SMS gateway must send the shared secret.",
            "Thiếu tiêu đề `X-Gateway-Secret`: cổng tin nhắn phải gửi khóa bí mật dùng chung.",
        )
    try:
        accepted = sms_secrets().accepted
    except Exception as exc:
        logger.exception("SMS gateway secret unavailable: inbound messages are refused")
        raise unavailable() from exc
    given = presented.encode("utf-8", "replace")
    matched = False
    for value in accepted:  # every value compared, in constant time each
        matched |= hmac.compare_digest(given, value)
    if not matched:
        logger.warning("SMS inbound request with a wrong gateway secret")
        raise Forbidden(
            "Wrong X-Gateway-Secret.",
            "Khóa bí mật dùng chung trong tiêu đề `X-Gateway-Secret` không đúng.",
        )


# --- the message -----------------------------------------------------------------------------
_PIN = re.compile(rf"^\d{{{PIN_DIGITS[0]},{PIN_DIGITS[1]}}}$")


def parse_text(text: str, keys: CodeKeys) -> SmsQuery:
    """The code and PIN of a message (no I/O; ``keys`` only to tell which reading is a code).

    Rules (docs/SMS.md): words are split on white space; a first word ``OCOP`` (any case or
    accents) is dropped (alone, the message asks for help). If the rest reads as a code, it is
    the code. Else the trailing words of digits (hyphens and dots allowed, as ``1234 5678`` or
    ``1234-5678``; words of symbols only, such as an emoji, skipped) are the PIN and the words
    before them the code -- the longest such run that leaves a code that reads, else the last
    words up to 8 digits, else one last word of 4-12 digits -- read or not, so a PIN never
    reaches the log as part of a mistyped code. Else, when the first 16 characters of the words
    run together read as a code (``ABCDEFGHJKMNPQRS12345678``, ``<code> <PIN> cảm ơn``), they
    are the code and the rest the PIN (symbols dropped; what is not digits is answered as a
    PIN of the wrong shape, never logged). Digits alone (a PIN sent without its code) carry no
    code: the help. Anything else is the code as typed."""
    parts = unicodedata.normalize("NFKC", text).split()
    if parts and ascii_text(parts[0]).upper() == KEYWORD:
        parts = parts[1:]
    if not parts:
        return SmsQuery("")
    whole = " ".join(parts)
    if read(whole, keys).stamp is not None:
        return SmsQuery(whole)
    if all(_alnum(word).isdecimal() or not _alnum(word) for word in parts):  # digits only: no code
        return SmsQuery("", _alnum(whole) or None)  # (a PIN sent alone gets the help, never logged)
    split = _trailing_pin(parts, keys)
    if split is not None:
        return split
    flat = "".join(parts).replace("-", "")
    rest = flat[CODE_LENGTH:]
    if rest and read(flat[:CODE_LENGTH], keys).stamp is not None:
        kept = _alnum(rest)
        return SmsQuery(flat[:CODE_LENGTH], kept if kept.isdecimal() else rest)
    if len(parts) == 1 and flat.isascii() and flat.isalnum() and _PIN.match(rest):
        return SmsQuery(flat[:CODE_LENGTH], rest)
    return SmsQuery(whole)


def without_pin(typed: str) -> str:
    """``typed`` (a code as a person typed it on the web) without a PIN typed after the code:
    the digits are a scratch-off PIN, and a PIN is never logged as part of a mistyped code
    (docs/PIN.md). The split is a text message's (``parse_text``); ``typed`` when it has none."""
    query = parse_text(typed, code_keys())
    return query.code if query.pin and query.code else typed


def _alnum(word: str) -> str:
    return "".join(c for c in word if c.isalnum())


def _trailing_pin(parts: list[str], keys: CodeKeys) -> SmsQuery | None:
    """``parts`` split into (code words, PIN) at its trailing words of digits (see ``parse_text``)."""
    end = len(parts)
    while end > 1 and not _alnum(parts[end - 1]):  # an emoji or a full stop after the PIN
        end -= 1
    runs: list[tuple[int, str]] = []  # (first word of the PIN, its digits), shortest first
    digits = ""
    for start in range(end - 1, 0, -1):
        word = _alnum(parts[start])
        if not word.isdecimal():
            break
        digits = word + digits
        if len(digits) > PIN_DIGITS[1]:
            break
        runs.append((start, digits))
    for start, pin in reversed(runs):  # the longest run that leaves a code that reads
        if read(" ".join(parts[:start]), keys).stamp is not None:
            return SmsQuery(" ".join(parts[:start]), pin)
    fitting = [(start, pin) for start, pin in runs if len(pin) <= PIN_LENGTH]
    if fitting and len(fitting[-1][1]) >= PIN_DIGITS[0]:
        start, pin = fitting[-1]
        return SmsQuery(" ".join(parts[:start]), pin)
    if runs and _PIN.match(runs[0][1]):
        return SmsQuery(" ".join(parts[: runs[0][0]]), runs[0][1])
    return None


# --- the reply -----------------------------------------------------------------------------------
def gsm7(text: str, *, strip: bool = True) -> str:
    """``text`` in GSM-7's basic set: Vietnamese without diacritics (đ -> d), typographic
    punctuation as its plain form, white space as single spaces (none at either end unless
    ``strip`` is False: a piece of a sentence), anything else left out."""
    folded = ascii_text(unicodedata.normalize("NFC", text)).translate(_NEAREST)
    folded = unicodedata.normalize("NFKC", folded)  # full-width letters, ligatures, odd spaces
    folded = ascii_text(folded)
    kept = "".join(ch if ch in GSM7_BASIC else " " if ch.isspace() else "" for ch in folded)
    kept = re.sub(r"\s+", " ", kept)
    return kept.strip() if strip else kept


def _cut(text: str, room: int) -> str:
    """``text`` in at most ``room`` characters, cut at a word with ``..`` when it must be."""
    if len(text) <= room:
        return text
    if room < 3:
        return ""
    head = text[: room - 2]
    if " " in head[room // 2 :]:
        head = head[: head.rindex(" ")]
    return head.rstrip(" ,.;:-") + ".."


def render(key: str, product: str | None = None, **values: object) -> str:
    """The reply ``key`` (``sms.*``) with ``values``, folded to GSM-7 and at most ``MAX_SMS``
    characters: the product's name (``{product}``) is cut to the room the rest leaves."""
    filled = {k: gsm7(str(v), strip=False) for k, v in values.items()}
    if product is None:
        return _cut(gsm7(words.text(key, LANG, **filled)), MAX_SMS)
    name = gsm7(product)
    full = gsm7(words.text(key, LANG, product=name, **filled))
    if len(full) <= MAX_SMS:
        return full
    room = MAX_SMS - len(gsm7(words.text(key, LANG, product="", **filled)))
    text = gsm7(words.text(key, LANG, product=_cut(name, room), **filled)).replace(" ()", "")
    return _cut(text, MAX_SMS)


def _verdict_reply(result: dict[str, Any]) -> str:
    verdict = str(result["verdict"])
    product = str((result.get("product") or {}).get("name") or "")
    scan = result.get("scan") or {}
    if verdict == Verdict.genuine:
        n = scan.get("count")
        checked = (
            "" if not n else words.text("sms.checked_first", LANG) if n == 1 else words.text("sms.checked_n", LANG, n=n)
        )
        return render("sms.genuine", product, checked=checked)
    if verdict == Verdict.repeat:
        return render("sms.repeat", product, s=scan.get("scanners") or "")
    if verdict == Verdict.claimed:
        claim = result.get("claim") or {}
        day = show(claim.get("claimed_at"))[-10:] if claim.get("claimed_at") else ""
        where = claim.get("claimed_province_name")
        return render(
            "sms.claimed",
            product,
            when=words.text("sms.on_date", LANG, date=day) if day else "",
            where=words.text("sms.in_place", LANG, province=where) if where else "",
        )
    if verdict == Verdict.expired:
        day = show((result.get("lot") or {}).get("expiry_date"))
        return render("sms.expired", product, when=words.text("sms.on_date", LANG, date=day) if day else "")
    if f"sms.{verdict}" in words.CATALOGUES[LANG]:  # recalled, void, not_activated
        return render(f"sms.{verdict}", product)
    label = words.CATALOGUES[LANG].get(f"verdict_short.{verdict}") or (result.get("message") or {}).get("vi") or verdict
    return render("sms.other", product, label=label)  # a verdict added later (additive vocabulary)


def _unknown_reply(result: dict[str, Any]) -> str:
    if result.get("retry_after"):
        return render("sms.slow_down", minutes=max(1, math.ceil(int(result["retry_after"]) / 60)))
    hint = result.get("hint")
    if hint == "keyboard":
        return render("sms.keyboard")
    code = str(result.get("code") or "-")
    shown = group(code) if len(code) == CODE_LENGTH else code[:24]
    return render("sms.typo" if hint == "check_code" else "sms.unknown", code=shown)


def _pin_reply(outcome: PinOutcome, product: str) -> str:
    if outcome.kind == PIN_FIRST:
        return render("sms.pin_first", product)
    if outcome.kind == PIN_AGAIN:
        day = show(outcome.claimed_at)[-10:] if outcome.claimed_at else ""  # the day: dd/mm/yyyy
        return render(
            "sms.pin_again",
            product,
            when=words.text("sms.on_date", LANG, date=day) if day else "",
            where=words.text("sms.in_place", LANG, province=outcome.province) if outcome.province else "",
        )
    if outcome.kind == PIN_WRONG:
        return render("sms.pin_wrong", product, tries=outcome.tries_left if outcome.tries_left is not None else 0)
    if outcome.kind == PIN_LOCKED:
        return render("sms.pin_locked", product)
    if outcome.kind == PIN_FORMAT:
        return render("sms.pin_format", product)
    raise ValueError(f"unknown PIN outcome {outcome.kind!r}")


PIN_VERDICTS = (Verdict.genuine, Verdict.repeat, Verdict.claimed)
"""The verdicts under which a texted PIN is checked: a stamp on sale, or one claimed already (the
second buyer's warning). A recalled, void, expired or never-activated stamp's warning is the reply."""


def check_pin(code: str, pin: str, ctx: ScanContext, now: dt.datetime) -> PinOutcome:
    """The ``CheckPin`` of the SMS function: ``scanning.pins.check_pin`` (one claim or one
    counted wrong try, logged with the SMS channel), its outcome in this module's words.
    A PIN that is not 8 digits is ``PIN_FORMAT`` and a one-layer stamp ``PIN_NONE`` (nothing
    counted either way). Raises ``Unavailable``/``Conflict`` as ``check_pin`` does."""
    from ocop_stamps.scanning import pins  # only messages with a PIN pay for its imports

    try:
        found = pins.check_pin(code, pin, ctx, now=now)
    except pins.NoPin:
        return PinOutcome(PIN_NONE)
    except BadRequest:
        return PinOutcome(PIN_FORMAT)
    kind = {
        PinVerdict.first: PIN_FIRST,
        PinVerdict.already_claimed: PIN_AGAIN,
        PinVerdict.wrong: PIN_WRONG,
        PinVerdict.locked: PIN_LOCKED,
    }[PinVerdict(found["outcome"])]
    return PinOutcome(
        kind,
        claimed_at=found.get("claimed_at"),
        province=found.get("claimed_province_name"),
        tries_left=found.get("tries_left"),
    )


def answer(
    text: str,
    sender: str,
    base_url: str,
    *,
    now: dt.datetime | None = None,
    check_pin: CheckPin | None = None,
) -> SmsReply:
    """The reply to one message (see the module docstring); a message with a code is one scan.

    ``check_pin`` is called only for a stamp that reads ``genuine``, ``repeat`` or ``claimed``: a recalled,
    void, expired or never-activated stamp has nothing for a buyer to claim, and its own
    warning is the reply. Raises ``Unavailable`` (503) when DynamoDB keeps refusing the
    catalog reads -- then nothing was counted or queued, and the gateway's retry is the scan."""
    query = parse_text(text, code_keys())
    if not query.code:
        return SmsReply(render("sms.help"))
    now = now or utc_now()
    ctx = ScanContext(source_ip=sender_address(sender), channel=CHANNEL)
    result = verify(query.code, ctx, base_url, now, defer=False)
    verdict = str(result.get("verdict") or Verdict.unknown.value)
    if verdict == Verdict.unknown or result.get("retry_after"):
        return SmsReply(_unknown_reply(result), Verdict.unknown.value, None)
    if query.pin is None or verdict not in PIN_VERDICTS:
        return SmsReply(_verdict_reply(result), verdict, None)
    product = str((result.get("product") or {}).get("name") or "")
    head = words.text(f"sms.head_{verdict}", LANG)
    if check_pin is None:
        url = page_url(base_url, str(result["code"]))
        return SmsReply(render("sms.pin_web", product, head=head, url=url), verdict, PIN_WEB)
    try:
        outcome = check_pin(str(result["code"]), query.pin, ctx, now)
    except (
        Unavailable,
        Conflict,
    ):  # the scan is counted already: say so rather than 503 (a retry would count it again)
        logger.warning("PIN check unavailable for an SMS; the verdict is answered without it")
        return SmsReply(render("sms.pin_busy", product, head=head), verdict, PIN_BUSY)
    if outcome.kind == PIN_NONE:
        return SmsReply(_verdict_reply(result), verdict, PIN_NONE)
    return SmsReply(_pin_reply(outcome, product), verdict, outcome.kind)


def scan_time(received_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """The scan's time: the gateway's ``received_at`` when within the last ``RECEIVED_WINDOW``
    (and not more than ``CLOCK_SKEW`` ahead), else ``now`` -- a retry hours later still dates
    the scan when the buyer sent it, and a gateway's wrong clock cannot."""
    if received_at is None:
        return now
    moment = received_at.astimezone(dt.UTC)
    return moment if now - RECEIVED_WINDOW <= moment <= now + CLOCK_SKEW else now


# --- once per message ------------------------------------------------------------------------
_persistence: Any = None


def _layer() -> Any:
    from ocop_stamps.core.settings import get_settings
    from ocop_stamps.storage.idempotency import persistence_layer

    global _persistence
    table = get_settings().idempotency_table
    if _persistence is None or _persistence.table_name != table:
        _persistence = persistence_layer(table)
    return _persistence


def message_key(message_id: str) -> str:
    """The idempotency key of a gateway's message id (a digest: ids are the gateway's text)."""
    return hashlib.sha256(message_id.encode()).hexdigest()[:32]


def answer_once(
    message_id: str,
    text: str,
    sender: str,
    base_url: str,
    *,
    now: dt.datetime,
    check_pin: CheckPin | None = None,
    lambda_context: Any = None,
) -> SmsReply:
    """``answer``, once per ``message_id`` for 24 hours: a retry gets the first reply and counts
    nothing (Powertools idempotency on the idempotency table; the record keeps the reply, its
    verdict and PIN outcome -- never the number, the text or the PIN).

    A retry while the first is still being answered: 409 with Retry-After. The table
    failing before the answer: 503 with Retry-After, nothing counted. The answer made but
    its record not saved: the reply is still given (a later retry may count again, as
    botocore's own retries of a counter could)."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
    )

    from ocop_stamps.core.errors import busy

    config = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=24 * 3600)
    if lambda_context is not None:  # an answer cut short by the function's timeout frees its key then
        config.register_lambda_context(lambda_context)
    made: list[SmsReply] = []

    @idempotent_function(data_keyword_argument="message", config=config, persistence_store=_layer())
    def _answer(message: dict[str, str]) -> dict[str, Any]:
        made.append(answer(text, sender, base_url, now=now, check_pin=check_pin))
        return made[-1]._asdict()

    try:
        return SmsReply(**_answer(message={"key": "sms#" + message_key(message_id)}))
    except IdempotencyPersistenceLayerError as exc:
        if made:
            logger.error("SMS answered but its idempotency record not completed")
            return made[-1]
        raise unavailable() from exc
    except IdempotencyAlreadyInProgressError:
        raise busy() from None
