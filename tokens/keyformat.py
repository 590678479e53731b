"""The bearer-token format: `sbc_<token id>_<secret><checksum>`, scannable and self-checking.

Pure functions, no Django. The token id is public (logs, admin, secret name); the secret carries
190 bits from `secrets`; the checksum (CRC32, base62) lets a mistyped or forged token be rejected
before any database query. Only the SHA-256 digest of the whole token is ever stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib
from dataclasses import dataclass

PREFIX = "sbc_"
TOKEN_ID_LENGTH = 12
SECRET_LENGTH = 32
CHECKSUM_LENGTH = 6
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Published in the README for secret scanners.
TOKEN_REGEX = r"sbc_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}"
_TOKEN_RE = re.compile(rf"^{TOKEN_REGEX}$")
TOKEN_ID_RE = re.compile(r"^[0-9A-Za-z]{12}$")


@dataclass(frozen=True)
class ParsedToken:
    token_id: str
    digest: str


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        chars.append(ALPHABET[rest])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")) & 0xFFFFFFFF, CHECKSUM_LENGTH)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate() -> tuple[str, ParsedToken]:
    """A fresh token and what may be stored of it."""
    token_id = _random(TOKEN_ID_LENGTH)
    body = f"{PREFIX}{token_id}_{_random(SECRET_LENGTH)}"
    token = body + _checksum(body)
    return token, ParsedToken(token_id=token_id, digest=digest(token))


def parse(token: str) -> ParsedToken | None:
    """The token's id and digest, or None when it is not a well-formed token with a valid checksum."""
    if len(token) != len(PREFIX) + TOKEN_ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH:
        return None
    if not _TOKEN_RE.match(token):
        return None
    body, checksum = token[:-CHECKSUM_LENGTH], token[-CHECKSUM_LENGTH:]
    if not hmac.compare_digest(_checksum(body), checksum):
        return None
    return ParsedToken(token_id=token[len(PREFIX) : len(PREFIX) + TOKEN_ID_LENGTH], digest=digest(token))
