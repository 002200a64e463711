"""Request bodies of the inspector API (issue 6)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ocop_stamps.core.schema import SoonDay, Strict
from ocop_stamps.core.vocabulary import AlertStatus, CheckResult


class _Body(Strict):
    """Inspector request bodies: the shared strict base (text cleaned, unknown fields refused)."""


class AlertStatusChange(_Body):
    status: Literal[AlertStatus.acknowledged, AlertStatus.resolved, AlertStatus.dismissed]
    note: str | None = Field(default=None, max_length=1000)


class FieldCheck(_Body):
    lot_id: str = Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9_-]+$")
    date: SoonDay
    place: str = Field(min_length=1, max_length=200, description="Where: shop, market, warehouse (free text)")
    province: str = Field(
        min_length=2,
        max_length=40,
        description="Province name or code: today's GSO code ('19'), a name, or an ISO 3166-2 code of before "
        "1 July 2025 ('VN-69'). A check dated before that day keeps it as entered, with today's units beside it.",
    )
    commune: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Commune, ward or special zone (name or GSO code), optional; from 2025-07-01 checked against "
        "the official list of the province (docs/ADMINISTRATIVE-UNITS.md).",
    )
    district: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Only for a check dated before 2025-07-01, as the documents of then say; refused (400) after.",
    )
    codes: list[str] = Field(default_factory=list, max_length=100, description="Stamp codes checked, if any")
    result: CheckResult
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("codes")
    @classmethod
    def short_codes(cls, value: list[str]) -> list[str]:
        if any(len(c) > 40 for c in value):
            raise ValueError("a code is at most 40 characters")
        return value
