"""Secrets at rest: marketplace credentials encrypted with Fernet, seller API keys hashed.

Several keys may be configured (newest first) so that the secret key can be rotated: new
values are encrypted with the first key, old ones still decrypt with any of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

API_KEY_PREFIX = "mb_"


class SecretBox:
    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError as exc:
            raise ValueError("MB_SECRET_KEY is not a valid Fernet key (32 url-safe base64 bytes)") from exc

    def encrypt_json(self, value: Mapping[str, str]) -> bytes:
        return self._fernet.encrypt(json.dumps(dict(value), sort_keys=True).encode())

    def decrypt_json(self, token: bytes) -> dict[str, str]:
        try:
            data = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with the configured keys") from exc
        if not isinstance(data, dict):
            raise ValueError("stored secret is not an object")
        return {str(k): str(v) for k, v in data.items()}

    def readable(self, token: bytes) -> bool:
        """Whether one of the configured keys decrypts this token."""
        try:
            self._fernet.decrypt(token)
        except InvalidToken:
            return False
        return True

    def reseal(self, token: bytes) -> bytes:
        """The same value sealed with the first (newest) key; ValueError when no key reads it."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with the configured keys") from exc

    def encrypt_text(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode())

    def decrypt_text(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with the configured keys") from exc


def new_api_key() -> str:
    """A new seller API key: a recognisable prefix and 32 random bytes."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """SHA-256 of the key. Keys are 256-bit random values, so a fast hash is safe here."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str:
    return key[:10]


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
