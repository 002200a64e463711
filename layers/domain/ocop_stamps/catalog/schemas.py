"""Request bodies of the catalog: producers, products, lots and OCOP ratings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, HttpUrl, StrictBool, StrictFloat, StrictInt, field_validator, model_validator

from ocop_stamps.codes.gs1 import normalize_gtin
from ocop_stamps.core.schema import (
    ROUND_DEGREES,
    RULES_VI,
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
from ocop_stamps.core.vocabulary import COUNTRY_LABELS, IssuingLevel, OcopGroup, ProducerKind, RatingAction

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


class OcopDecision(Strict):
    """The decision that recognised the rating: its number, date and who signed it."""

    number: ShortText = Field(description="The decision's number, e.g. '1234/QĐ-UBND'.")
    date: PastDay = Field(description="The day the decision was signed (the certificate's validity runs from it).")
    issuing_level: IssuingLevel = Field(
        description="district (3★, decisions from 24/02/2023 to 30/06/2025), province (4★; 3★ before "
        "24/02/2023 and from 01/07/2025) or central (5★): Decisions 1048/2019, 148/2023 and 1489/2025/QĐ-TTg."
    )
    issuing_body: Text | None = Field(
        default=None,
        description="Who signed, e.g. 'Ủy ban nhân dân tỉnh Thái Nguyên'. Required for district and "
        "province; for central it defaults to the ministry of that day (Bộ Nông nghiệp và Môi trường since 01/03/2025).",
    )


class OcopCertificate(Strict):
    """The OCOP certificate (giấy chứng nhận) issued with the decision."""

    number: ShortText


class OcopRating(Strict):
    """An OCOP rating: stars 3-5, the decision, the certificate and how long it holds.

    Whether the issuing level fits the stars and the decision's date, and the 36-month limit,
    are checked by ``catalog.ratings.checked`` (a 400 that says which rule).
    """

    stars: StrictInt = Field(ge=3, le=5)
    decision: OcopDecision
    certificate: OcopCertificate
    valid_until: RatingEndDay | None = Field(
        default=None, description="At most 36 months after the decision's date; defaults to exactly that."
    )


COUNTRY_UNKNOWN = "country must be a country the catalogue names (ISO 3166-1 alpha-2): " + ", ".join(COUNTRY_LABELS)
RULES_VI[COUNTRY_UNKNOWN] = "xuất xứ phải là một quốc gia có trong danh mục, ghi bằng mã ISO 3166-1: " + ", ".join(
    f"`{c}`" for c in COUNTRY_LABELS
)


class MadeIn(Strict):
    """Where the goods are made: xuất xứ (Decree 37/2026/NĐ-CP adds it to the look-up)."""

    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 code, e.g. 'VN' (shown as 'Việt Nam' / 'Viet Nam'). OCOP products are "
        "made in Vietnam; another country is accepted once the words catalogue names it (country.*)."
    )
    place: ShortText | None = Field(
        default=None,
        description="The locality as the label states it, e.g. 'Thái Nguyên' (shown before the country).",
    )

    @field_validator("country")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in COUNTRY_LABELS:
            raise ValueError(COUNTRY_UNKNOWN)
        return value


# A product id as ``core.ids.new_id("prd")`` makes it: a client may choose one (``ProductIn``).
PRODUCT_ID_PATTERN = r"^prd_[0-9a-z]{12}$"


class ProductIn(Strict):
    product_id: str | None = Field(
        default=None,
        pattern=PRODUCT_ID_PATTERN,
        description="Optional id chosen by the client, in the form the service makes (`prd_` and 12 "
        "lowercase letters or digits), so that a retried registration is one product: a second "
        "registration with the same id is refused (409). Generated when absent.",
    )
    producer_id: EntityId
    name: Text
    name_en: Text | None = None
    brand: Text | None = None
    group: OcopGroup
    gtin: str | None = Field(default=None, description="GTIN-8/12/13/14 with a valid check digit.")
    image_url: HttpUrl | None = Field(default=None, description="The product's picture (http or https).")
    description: LongText | None = None
    made_in: MadeIn | None = Field(
        default=None, description="Origin of the goods (xuất xứ, Decree 37/2026/NĐ-CP); shown only when given."
    )
    standards: list[ShortText] = Field(
        default_factory=list,
        max_length=20,
        description="Standards the product is declared under (Circular 02/2024/TT-BKHCN look-up), e.g. "
        "'TCCS 01:2024/HTX'; a lot's own standards are added to these.",
    )
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


LOT_CODE_PATH = (
    "a lot code must survive a Digital Link path: no '.' or '..' on its own, no empty part "
    "(a leading or trailing '/' or '//'), and no part '10', '21' or '22' between slashes"
)
RULES_VI[LOT_CODE_PATH] = (
    "mã lô phải đọc được trong đường dẫn GS1 Digital Link: không được chỉ là '.' hoặc '..', "
    "không có phần rỗng ('/' ở đầu hoặc cuối, hay '//'), và không có phần '10', '21' hoặc '22' giữa hai dấu '/'"
)


class LotIn(Strict):
    product_id: EntityId
    lot_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9._/-]{1,20}$")] = Field(
        description="The producer's own lot code (GS1 AI 10: up to 20 characters)."
    )
    production_date: PastDay
    expiry_date: ExpiryDay | None = Field(
        default=None,
        description="Required for food, drinks and herbal products; handicrafts, ornamental plants and "
        "animals and tourism services may have none (core.vocabulary.EXPIRY_REQUIRED).",
    )
    quantity: StrictInt = Field(gt=0, le=100_000_000)
    unit: Annotated[str, Field(min_length=1, max_length=20)] = "unit"
    origin: Origin
    certifications: list[ShortText] = Field(default_factory=list, max_length=20)
    standards: list[ShortText] = Field(
        default_factory=list, max_length=20, description="Standards applied, e.g. TCVN 12850:2019."
    )
    process_steps: list[ProcessStep] = Field(default_factory=list, max_length=50)

    @field_validator("lot_code")
    @classmethod
    def _survives_a_uri_path(cls, value: str) -> str:
        """GS1 AI 10 allows ``/``, but the lot is printed in the Digital Link's path
        (``/01/{gtin}/10/{lot}/21/{code}``), which API Gateway hands over decoded: a segment
        that is empty, ``.`` or ``..`` (removed by browsers) or an AI (``10``, ``21``, ``22``)
        would make the label unresolvable. Lots stored before this rule are still read."""
        parts = value.split("/")
        if any(part in ("", ".", "..") for part in parts) or (len(parts) > 1 and set(parts) & {"10", "21", "22"}):
            raise ValueError(LOT_CODE_PATH)
        return value

    @model_validator(mode="after")
    def _dates(self) -> LotIn:
        if self.expiry_date is not None and self.expiry_date <= self.production_date:
            raise ValueError("expiry_date must be after production_date")
        harvest = self.origin.harvest_date
        if harvest is not None and harvest > self.production_date:
            raise ValueError("origin.harvest_date must not be after production_date")
        return self


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
