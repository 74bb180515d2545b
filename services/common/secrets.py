"""Secrets the protocols need back in clear (webhook and robot signing keys), encrypted at rest;
and secrets that only need checking (feed tokens), kept as hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets

from cryptography.fernet import Fernet


class SecretBox:
    """Authenticated encryption (Fernet) under a key derived from the service's secret key."""

    def __init__(self, secret_key: str) -> None:
        key = hashlib.sha256(b"duban-secret-box:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode())

    def open(self, sealed: bytes) -> str:
        return self._fernet.decrypt(sealed).decode()


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)


class RedactQueryTokens(logging.Filter):
    """Blanks `token=` values in the arguments of log records: a calendar feed URL carries its secret in the
    query (calendar clients cannot send headers), and the server's access log writes whole request lines."""

    _TOKEN_VALUE = re.compile(r"(?<=[?&]token=)[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._TOKEN_VALUE.sub("[redacted]", arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        return True


def redact_query_tokens_in_access_log(logger_name: str = "uvicorn.access") -> None:
    """Install RedactQueryTokens on the server's access log, once however many apps are created."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactQueryTokens) for f in logger.filters):
        logger.addFilter(RedactQueryTokens())
