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
    province: str = Field(min_length=2, max_length=40, description="Province name or ISO 3166-2 code (VN-69)")
    codes: list[str] = Field(default_factory=list, max_length=100, description="Stamp codes checked, if any")
    result: CheckResult
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("codes")
    @classmethod
    def short_codes(cls, value: list[str]) -> list[str]:
        if any(len(c) > 40 for c in value):
            raise ValueError("a code is at most 40 characters")
        return value
