"""Who is calling: the claims the HTTP API's JWT authorizer passed on, checked again here.

API Gateway has already verified the token's signature, issuer, audience and expiry; the
handler still checks the role and the tenant (defence in depth).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ocop_stamps.core.errors import Forbidden, Unauthorized

ROLES = ("admin", "producer", "inspector")


def _groups(raw: Any) -> frozenset[str]:
    # Cognito's groups reach HTTP API Lambdas as "[admin producer]" (a string), as a JSON
    # list in tests and other issuers, or as a comma-separated string.
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple):
        return frozenset(str(g) for g in raw)
    text = str(raw).strip().strip("[]")
    return frozenset(g.strip().strip('"') for g in text.replace(",", " ").split() if g.strip())


@dataclass(frozen=True)
class Principal:
    subject: str
    groups: frozenset[str]
    producer_id: str | None = None
    provinces: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Principal:
        claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims")
        if not claims:
            raise Unauthorized(
                "Sign in first: this route needs a bearer token.",
                "Vui lòng đăng nhập: yêu cầu này cần mã xác thực (tiêu đề `Authorization: Bearer …`).",
            )
        return cls.from_claims(claims)

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        """The caller of an ID token's claims (``sub``, ``cognito:groups``, ``custom:producer_id``,
        ``custom:provinces``): the API's path and the console's session read claims alike."""
        producer_id = claims.get("custom:producer_id") or claims.get("producer_id")
        provinces = claims.get("custom:provinces") or claims.get("provinces") or ""
        if isinstance(provinces, str):
            provinces = [p.strip() for p in provinces.split(",") if p.strip()]
        return cls(
            subject=str(claims.get("sub", "")),
            groups=_groups(claims.get("cognito:groups")),
            producer_id=str(producer_id) if producer_id else None,
            provinces=tuple(provinces),
        )

    def require(self, *roles: str) -> None:
        if not self.groups.intersection(roles):
            raise Forbidden(
                f"This route is for {' or '.join(roles)} accounts.",
                f"Chức năng này chỉ dành cho tài khoản {' hoặc '.join(_VI_ROLE[r] for r in roles)}.",
            )

    def scope(self, *roles: str) -> str | None:
        """For reads open to several roles: None (everything) for admins and inspectors
        allowed here, the caller's own producer id for a producer."""
        self.require(*roles)
        if self.groups.intersection({"admin", "inspector"}.intersection(roles)):
            return None
        return self.own_producer_id()

    def own_producer_id(self) -> str:
        """The producer this caller acts for; a producer token without one is refused."""
        self.require("producer")
        if not self.producer_id:
            raise Forbidden(
                "Your account is not linked to a producer; ask the provincial OCOP office.",
                "Tài khoản chưa được gắn với chủ thể OCOP nào; hãy liên hệ văn phòng OCOP tỉnh.",
            )
        return self.producer_id


_VI_ROLE = {"admin": "quản trị", "producer": "chủ thể sản xuất", "inspector": "cán bộ kiểm tra"}
