"""OCOP ratings of a product: record, renew (công nhận lại), downgrade, withdraw -- each with its
EPCIS event -- and the rules a rating must meet (``checked``)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from ocop_stamps.catalog.schemas import OcopRating, RatingIn
from ocop_stamps.catalog.views import plain, product_view, rating_history
from ocop_stamps.core import dates
from ocop_stamps.core import ocop as rules
from ocop_stamps.core.errors import CONFLICT_ATTEMPTS, BadRequest, Conflict, NotFound, busy
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.vocabulary import IssuingLevel, RatingAction
from ocop_stamps.epcis import events as epcis
from ocop_stamps.epcis.history import event_item
from ocop_stamps.storage import repository as repo

_WHO: dict[IssuingLevel, tuple[str, str]] = {
    IssuingLevel.district: ("Ủy ban nhân dân cấp huyện", "a district People's Committee"),
    IssuingLevel.province: ("Ủy ban nhân dân cấp tỉnh", "a provincial People's Committee"),
    IssuingLevel.central: ("cấp trung ương", "the central level"),
}
"""Each level as it reads inside a sentence (Vietnamese, English)."""


def _contradicts(body: str, level: IssuingLevel) -> bool:
    """Whether an issuing body's own words name another level than ``level``: a People's
    Committee for the central level, a ministry for a committee, a district's committee for
    the province or a province's for a district. Words that name no level, or could name
    either ('Ủy ban nhân dân thành phố Hạ Long' was a district's, 'thành phố Hà Nội' a
    province's), are taken as written."""
    text = unicodedata.normalize("NFC", body).casefold().replace("uỷ", "ủy")
    said = rules.guess_level(text)
    committee = "ủy ban nhân dân" in text or "ubnd" in text.split() or text.startswith("ubnd")
    if level is IssuingLevel.central:
        return committee or said in (IssuingLevel.district, IssuingLevel.province)
    if said is IssuingLevel.central:
        return True
    if level is IssuingLevel.province:
        return said is IssuingLevel.district
    return said is IssuingLevel.province and "thành phố" not in text


def checked(rating: OcopRating, path: str = "rating") -> dict[str, Any]:
    """The rating as stored, after the rules a request body cannot state alone.

    * the issuing level must be the one that recognises ``stars`` under the rules of the
      decision's date (``core.ocop.RULES``: Decisions 1048/2019, 148/2023, 1489/2025/QĐ-TTg);
    * ``valid_until`` after the decision and at most 36 months from it (default: exactly 36).

    Stored shape: ``{stars, decision: {number, date, issuing_level, issuing_body}, certificate:
    {number}, valid_until}`` (dates ISO). Raises ``BadRequest`` (400) naming the rule, in
    Vietnamese and English, whose ``details`` name the field (``{path}.decision.issuing_level``...;
    ``path`` is where the rating sits in the request body: ``rating``, or ``ocop`` in a product).
    """
    decision = rating.decision
    day = decision.date
    under = rules.rules_on(day)
    wanted = under.levels[rating.stars]
    if decision.issuing_level is not wanted:
        given_vi, given_en = _WHO[decision.issuing_level]
        wanted_vi, wanted_en = _WHO[wanted]
        if wanted is IssuingLevel.central:
            ministry_vi, ministry_en = rules.ministry_on(day)
            wanted_vi, wanted_en = f"{wanted_vi} ({ministry_vi})", f"{wanted_en} ({ministry_en})"
        raise BadRequest(
            f"A {rating.stars}-star rating decided on {day.isoformat()} is recognised by {wanted_en}, not by "
            f"{given_en}, under {under.name[1]}: decision.issuing_level must be '{wanted.value}'.",
            f"Sản phẩm OCOP {rating.stars} sao có quyết định ngày {dates.show(day)} phải do {wanted_vi} công nhận, "
            f"không phải {given_vi}, theo {under.name[0]}.",
            details=[
                {"field": f"{path}.decision.issuing_level", "problem": "not the level for these stars on that date"}
            ],
        )
    body = decision.issuing_body
    if body is not None and _contradicts(body, wanted):
        level_vi, level_en = _WHO[wanted]
        raise BadRequest(
            f"decision.issuing_body '{body[:80]}' is not {level_en}, the level given for this decision "
            f"({wanted.value}): name the body that signed it.",
            f"Quyết định ghi cấp công nhận là {level_vi} nhưng cơ quan ký (`decision.issuing_body`) là "
            f"“{body[:80]}”: hãy ghi đúng cơ quan đã ký quyết định.",
            details=[{"field": f"{path}.decision.issuing_body", "problem": "names another level"}],
        )
    if body is None:
        if wanted is not IssuingLevel.central:
            raise BadRequest(
                "decision.issuing_body is required: name the People's Committee that signed the decision.",
                "Cần ghi cơ quan ký quyết định (ví dụ: Ủy ban nhân dân tỉnh Thái Nguyên).",
                details=[{"field": f"{path}.decision.issuing_body", "problem": "required"}],
            )
        body = rules.ministry_on(day)[0]
    longest = rules.valid_until_default(day)
    valid_until = rating.valid_until or longest
    if valid_until <= day:
        raise BadRequest(
            "valid_until must be after the decision's date.",
            "Ngày hết hiệu lực của giấy chứng nhận phải sau ngày ra quyết định.",
            details=[{"field": f"{path}.valid_until", "problem": "not after the decision"}],
        )
    if valid_until > longest:
        raise BadRequest(
            f"An OCOP certificate holds at most 36 months from the decision's date: valid_until may be "
            f"{longest.isoformat()} at the latest.",
            f"Giấy chứng nhận OCOP có hiệu lực tối đa 36 tháng kể từ ngày ra quyết định, "
            f"tức là muộn nhất đến ngày {dates.show(longest)}.",
            details=[{"field": f"{path}.valid_until", "problem": "more than 36 months"}],
        )
    return {
        "stars": rating.stars,
        "decision": {
            "number": decision.number,
            "date": day.isoformat(),
            "issuing_level": decision.issuing_level.value,
            "issuing_body": body,
        },
        "certificate": {"number": rating.certificate.number},
        "valid_until": valid_until.isoformat(),
    }


def _after_current(action: RatingAction, live: dict[str, Any] | None, day: dt.date) -> None:
    """A renewal (công nhận lại) or a downgrade is a new decision, made after the one in force:
    409 when its date is not after the current decision's (a correction of the current rating
    is recorded with ``record``)."""
    if action not in (RatingAction.renew, RatingAction.downgrade) or live is None:
        return
    current = dates.day_of(rules.decision_date(live))
    if current is None or day > current:
        return
    vi, en = ("công nhận lại", "renewal") if action is RatingAction.renew else ("hạ hạng", "downgrade")
    raise Conflict(
        f"A {en} is a new decision: its date must be after the current decision's ({current.isoformat()}); "
        "to correct the current rating, record it again.",
        f"Quyết định {vi} phải có ngày sau ngày của quyết định hiện tại ({dates.show(current)}); "
        "nếu cần sửa hạng hiện tại, hãy ghi nhận lại hạng đó.",
        details=[{"field": "rating.decision.date", "problem": "not after the decision in force"}],
    )


def rate(product_id: str, data: RatingIn, by: str, base_url: str) -> dict[str, Any]:
    """Record, renew, downgrade or withdraw a product's OCOP rating (admin)."""
    for _ in range(CONFLICT_ATTEMPTS):
        product = repo.get_product(product_id)
        if product is None:
            raise NotFound(f"There is no product '{product_id}'.", f"Không có sản phẩm '{product_id}'.")
        current = rules.current_rating(plain(product.ocop)) if product.ocop else None
        live = current if current and not current.get("withdrawn") else None
        moment = utc_now()
        if data.action is RatingAction.withdraw:
            if live is None:
                raise Conflict(
                    "The product has no rating to withdraw.",
                    "Sản phẩm không có hạng sao để thu hồi.",
                    details=[{"field": "action", "problem": "no rating in force"}],
                )
            ocop = {**live, "withdrawn": True, "withdrawn_at": iso(moment), "withdrawal_reason": data.reason}
        else:
            assert data.rating is not None
            ocop = {**checked(data.rating), "action": data.action.value}
            if data.action is RatingAction.downgrade and (live is None or ocop["stars"] >= int(live["stars"])):
                raise Conflict(
                    "A downgrade needs fewer stars than the current rating.",
                    "Hạ hạng phải có số sao thấp hơn hạng hiện tại.",
                    details=[{"field": "rating.stars", "problem": "not fewer than the current rating's"}],
                )
            if data.action is RatingAction.renew and live is None:
                raise Conflict(
                    "There is no rating to renew; record one instead.",
                    "Chưa có hạng sao để công nhận lại; hãy ghi nhận hạng mới.",
                    details=[{"field": "action", "problem": "no rating in force"}],
                )
            _after_current(data.action, live, data.rating.decision.date)
        entry = {**ocop, "action": data.action.value, "at": iso(moment), "by": by}
        if data.reason:
            entry["reason"] = data.reason
        event = epcis.rating_step(
            base_url=base_url,
            product_id=product.product_id,
            producer_id=product.producer_id,
            gtin=product.gtin,
            action=data.action.value,
            rating={**ocop, "reason": data.reason},
            by=by,
            moment=moment,
        )
        try:
            repo.set_rating(product, ocop, entry, [event_item(product.pk, event)])
        except repo.StaleRevision:
            continue
        product.ocop = ocop  # type: ignore[assignment]
        view = product_view(product)
        view["ocop_history"] = [*rating_history(product.ocop_history), entry]
        return view
    raise busy()
