"""Wildberries-style API tokens: JWTs whose `s` claim is a bitmask of categories.

A real WB token is an ES256 JWT; its payload carries the seller id (`oid`), the token id
(`id`), the expiry (`exp`) and a bitmask `s` of the categories it opens, bit 30 meaning
"read only". The sandbox signs its tokens with HMAC-SHA256 under a per-process secret, so
they look and decode the same way while only the sandbox can mint them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

#: Category name (as in the specs' `x-category`) -> bit of the `s` claim.
CATEGORY_BITS: dict[str, int] = {
    "content": 1,
    "analytics": 2,
    "discountsandprices": 3,
    "marketplace": 4,
    "statistics": 5,
    "advert": 6,
    "questionsandfeedback": 7,
    "buyerchat": 9,
    "supplies": 10,
    "returns": 11,
    "documents": 12,
    "finance": 13,
}
READ_ONLY_BIT = 30
#: `commonapi` methods (seller info, news) are open to any valid token.
OPEN_CATEGORIES = frozenset({"commonapi", "all"})


class TokenError(ValueError):
    """The token is missing, malformed, badly signed or expired (answered with 401)."""


@dataclass(frozen=True)
class TokenClaims:
    seller_id: int
    token_id: str
    categories: frozenset[str]
    read_only: bool
    expires_at: int

    def allows(self, category: str) -> bool:
        return category in OPEN_CATEGORIES or category in self.categories


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Mints and checks the sandbox's tokens."""

    def __init__(self, secret: bytes, seller_id: int = 1_000_001) -> None:
        self._secret = secret
        self.seller_id = seller_id
        self.revoked: set[str] = set()
        self._accepted: dict[str, TokenClaims] = {}

    def accept(self, token: str) -> None:
        """Take a token given on the command line as valid for every category, whatever it is."""
        try:
            self.check(token)
        except TokenError:
            self._accepted[token] = TokenClaims(
                seller_id=self.seller_id,
                token_id="given",
                categories=frozenset(CATEGORY_BITS),
                read_only=False,
                expires_at=2**31 - 1,
            )

    def mint(
        self,
        categories: Iterable[str] | None = None,
        *,
        read_only: bool = False,
        ttl_seconds: int = 180 * 24 * 3600,
    ) -> str:
        """A token for `categories` (all of them when None)."""
        names = list(CATEGORY_BITS) if categories is None else list(categories)
        unknown = [n for n in names if n not in CATEGORY_BITS]
        if unknown:
            raise ValueError(f"unknown token categories: {', '.join(unknown)}")
        mask = 0
        for name in names:
            mask |= 1 << CATEGORY_BITS[name]
        if read_only:
            mask |= 1 << READ_ONLY_BIT
        header = {"alg": "HS256", "kid": "sandbox", "typ": "JWT"}
        payload = {
            "acc": 1,
            "ent": 1,
            "exp": int(time.time()) + ttl_seconds,
            "id": str(uuid.uuid4()),
            "iid": self.seller_id,
            "oid": self.seller_id,
            "s": mask,
            "sid": str(uuid.UUID(int=self.seller_id)),
            "t": False,
            "uid": self.seller_id,
        }
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        signature = hmac.new(self._secret, signing.encode(), hashlib.sha256).digest()
        return f"{signing}.{_b64(signature)}"

    def check(self, token: str | None) -> TokenClaims:
        """The claims of a valid token; TokenError with the gateway's wording otherwise."""
        if not token:
            raise TokenError("empty Authorization header")
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if token in self._accepted:
            return self._accepted[token]
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenError(
                "token problem; token is malformed: token contains an invalid number of segments"
            )
        try:
            signature = _unb64(parts[2])
            payload = json.loads(_unb64(parts[1]))
        except (ValueError, UnicodeDecodeError) as exc:
            raise TokenError(f"token problem; token is malformed: {exc}") from exc
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(signature, expected):
            raise TokenError("token problem; token signature is invalid")
        if not isinstance(payload, dict):
            raise TokenError("token problem; token is malformed: payload is not an object")
        try:
            mask = int(payload["s"])
            expires = int(payload["exp"])
            token_id = str(payload["id"])
            seller = int(payload["oid"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TokenError("token problem; token is malformed: missing claims") from exc
        if expires < time.time():
            raise TokenError("token problem; token is expired")
        if token_id in self.revoked:
            raise TokenError("token problem; token is revoked")
        categories = frozenset(name for name, bit in CATEGORY_BITS.items() if mask & (1 << bit))
        return TokenClaims(
            seller_id=seller,
            token_id=token_id,
            categories=categories,
            read_only=bool(mask & (1 << READ_ONLY_BIT)),
            expires_at=expires,
        )
