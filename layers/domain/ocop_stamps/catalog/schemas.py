"""Request bodies of the catalog: producers, products, lots and OCOP ratings."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, HttpUrl, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from ocop_stamps.codes.gs1 import normalize_gtin
from ocop_stamps.core.dates import add_years
from ocop_stamps.core.schema import (
    ROUND_DEGREES,
    EntityId,
    ExpiryDay,
    LongText,
    PastDay,
    RatingEndDay,
    ShortText,
    Slug,
    SoonMoment,
    Strict,
    Text,
)
from ocop_stamps.core.vocabulary import OcopGroup, ProducerKind

_PROVINCE = "Province or centrally-run city: a name ('Thái Nguyên', 'TP HCM') or its GSO code ('19')."
_COMMUNE = (
    "Commune, ward or special zone (xã, phường, đặc khu): its name ('Xã Kha Sơn', 'Kha Sơn') or GSO code "
    "('05953'). Required, and checked against the official list, for records dated from 2025-07-01."
)
_DISTRICT = (
    "Only for records dated before 2025-07-01, as the documents of then say: districts no longer exist "
    "since 1 July 2025, and a later record that gives one is refused (400)."
)


class Address(Strict):
    """A place: province + commune (+ village, street), checked by ``places.addresses.record``
    against the units in force on the record's date (docs/ADMINISTRATIVE-UNITS.md)."""

    hamlet: ShortText | None = Field(default=None, description="Village, hamlet or group (thôn, xóm, ấp, bản, tổ).")
    commune: ShortText | None = Field(default=None, description=_COMMUNE)
    district: ShortText | None = Field(default=None, description=_DISTRICT)
    province: ShortText = Field(description=_PROVINCE)
    street: Text | None = Field(default=None, description="House number and street, if any.")


class ProducerIn(Strict):
    producer_id: Slug | None = Field(default=None, description="Optional stable id; generated when absent.")
    name: Text
    kind: ProducerKind
    owner: Text | None = None
    tax_code: Annotated[str, Field(pattern=r"^[0-9]{10}(-[0-9]{3})?$")] | None = Field(
        default=None, description="Business registration / tax number (10 digits, optional -NNN branch)."
    )
    address: Address
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 .-]{8,20}$")] | None = None
    demo: StrictBool = False
    account_email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = Field(
        default=None,
        description="Creates the producer's sign-in account (Cognito user in group producer, invited by email).",
    )


class OcopRating(Strict):
    stars: StrictInt = Field(ge=3, le=5)
    certificate_no: ShortText
    issuing_body: Text
    decision_date: PastDay
    valid_until: RatingEndDay | None = Field(
        default=None, description="At most 36 months after the decision; defaults to exactly that."
    )

    @model_validator(mode="after")
    def _dates(self) -> OcopRating:
        longest = add_years(self.decision_date, 3)  # valid at most 36 months (DESIGN.md, Data)
        if self.valid_until is None:
            self.valid_until = longest
        if self.valid_until <= self.decision_date:
            raise ValueError("valid_until must be after decision_date")
        if self.valid_until > longest:
            raise ValueError("valid_until must be at most 36 months after decision_date")
        return self


class ProductIn(Strict):
    producer_id: EntityId
    name: Text
    name_en: Text | None = None
    brand: Text | None = None
    group: OcopGroup
    gtin: str | None = Field(default=None, description="GTIN-8/12/13/14 with a valid check digit.")
    image_url: HttpUrl | None = None
    description: LongText | None = None
    ocop: OcopRating | None = None
    repeat_threshold: StrictInt = Field(
        default=5,
        ge=1,
        le=10_000,
        description="Distinct scanners (networks) after which a stamp reads `repeat`; "
        "one device checking many times never does (docs/COUNTING.md).",
    )
    demo: StrictBool = False

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, v: str | None) -> str | None:
        return None if v is None else normalize_gtin(v)


class Origin(Strict):
    """The raw-material area; its place is checked as of the lot's production date."""

    area_name: Text | None = None
    commune: ShortText | None = Field(default=None, description=_COMMUNE)
    district: ShortText | None = Field(default=None, description=_DISTRICT)
    province: ShortText = Field(description=_PROVINCE)
    latitude: Annotated[StrictFloat, ROUND_DEGREES] | None = Field(default=None, ge=-90, le=90)
    longitude: Annotated[StrictFloat, ROUND_DEGREES] | None = Field(default=None, ge=-180, le=180)
    harvest_date: PastDay | None = None


class ProcessStep(Strict):
    """One step of production (TCVN 12850: who, what, where, when, why)."""

    step: Text = Field(description="What was done, e.g. 'Thu hoạch', 'Sấy khô', 'Đóng gói'.")
    who: Text | None = None
    where: Text | None = Field(default=None, description="Where, in words: a workshop, a field.")
    place: Address | None = Field(
        default=None, description="The step's commune (and province), checked as of the step's own time."
    )
    when: SoonMoment
    why: Text | None = None


class LotIn(Strict):
    product_id: EntityId
    lot_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9._/-]{1,20}$")] = Field(
        description="The producer's own lot code (GS1 AI 10: up to 20 characters)."
    )
    production_date: PastDay
    expiry_date: ExpiryDay
    quantity: StrictInt = Field(gt=0, le=100_000_000)
    unit: Annotated[str, Field(min_length=1, max_length=20)] = "unit"
    origin: Origin
    certifications: list[ShortText] = Field(default_factory=list, max_length=20)
    standards: list[ShortText] = Field(
        default_factory=list, max_length=20, description="Standards applied, e.g. TCVN 12850:2019."
    )
    process_steps: list[ProcessStep] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _dates(self) -> LotIn:
        if self.expiry_date <= self.production_date:
            raise ValueError("expiry_date must be after production_date")
        harvest = self.origin.harvest_date
        if harvest is not None and harvest > self.production_date:
            raise ValueError("origin.harvest_date must not be after production_date")
        return self


class RatingAction(StrEnum):
    record = "record"
    renew = "renew"
    downgrade = "downgrade"
    withdraw = "withdraw"


class RatingIn(Strict):
    """A step in a product's OCOP rating: a new decision, or its withdrawal."""

    action: RatingAction
    rating: OcopRating | None = None
    reason: Annotated[str, Field(min_length=3, max_length=500)] | None = None

    @model_validator(mode="after")
    def _shape(self) -> RatingIn:
        if self.action is RatingAction.withdraw:
            if self.reason is None:
                raise ValueError("a withdrawal needs a reason")
            if self.rating is not None:
                raise ValueError("a withdrawal takes no rating")
        elif self.rating is None:
            raise ValueError("record, renew and downgrade need a rating")
        return self
