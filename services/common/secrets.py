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
        return self.seal_bytes(secret.encode())

    def open(self, sealed: bytes) -> str:
        return self.open_bytes(sealed).decode()

    def seal_bytes(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def open_bytes(self, sealed: bytes) -> bytes:
        """The sealed data; cryptography.fernet.InvalidToken if it was not sealed by this key."""
        return self._fernet.decrypt(sealed)


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)


# A secret's value in a URL's query: a calendar feed's `token`, a DingTalk robot's `access_token`, a WeCom robot's
# `key`. Whoever has such a URL can use it, so it is sealed at rest and never shown whole.
# A signed robot URL carries its `sign` too, and a misconfigured target may carry a `secret` or `password`.
_SECRET_PARAMETERS = ("token", "access_token", "jwt", "key", "sign", "signature", "secret", "client_secret", "password")
URL_SECRET_VALUE = re.compile(
    "".join(["(?:", "|".join(rf"(?<=[?&]{name}=)" for name in _SECRET_PARAMETERS), r")[^&\s\"'#]+"])
)
# Secrets that travel outside URLs: a Standard Webhooks secret, a bearer token, credentials in a URL's authority.
_LOOSE_SECRETS = re.compile(r"whsec_[A-Za-z0-9+/=]+|(?<=Bearer )[A-Za-z0-9._~+/=-]+|(?<=://)[^/@\s:]+:[^/@\s]+(?=@)")
MASK = "****"


def without_secrets(text: str) -> str:
    """Text that is recorded or shown (an error, a receiver's reply, a log line) with every secret blanked."""
    return _LOOSE_SECRETS.sub("[redacted]", URL_SECRET_VALUE.sub("[redacted]", text))


def has_url_secret(url: str) -> bool:
    return URL_SECRET_VALUE.search(url) is not None


def masked_url(url: str) -> str:
    """The URL with each secret query value cut to its last four characters: `access_token=****c0de`."""
    return URL_SECRET_VALUE.sub(lambda match: MASK + match.group(0)[-4:], url)


class RedactQueryTokens(logging.Filter):
    """Blanks secret query values (`token`, `access_token`, `key`) in the arguments of log records. A calendar
    feed URL carries its token (calendar clients cannot send headers) and a DingTalk or WeCom robot's URL its
    access token; the server's access log writes whole request lines, the HTTP client whole URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._redacted(arg) for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = without_secrets(record.msg)
        if record.exc_info and record.exc_info[1] is not None:  # a traceback's message may quote a URL
            record.exc_text = without_secrets(logging.Formatter().formatException(record.exc_info))
        return True

    def _redacted(self, arg: object) -> object:
        text = arg if isinstance(arg, str) else str(arg)  # the HTTP client logs URL objects
        cleaned = without_secrets(text)
        return cleaned if cleaned != text else arg


# The loggers that may write URLs or secrets: the server's, the HTTP client notify_api delivers with, and ours (a
# filter on a logger sees only the records made on it, not its children's).
URL_LOGGERS = (
    "uvicorn.access",
    "uvicorn.error",
    "httpx",
    "duban",
    "duban.deliveries",
    "duban.outbox",
    "duban.auth",
    "duban.idempotency",
    "duban.readiness",
)


def redact_url_secrets_in_logs() -> None:
    """Install RedactQueryTokens on the loggers that write URLs, once however many apps are created."""
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryTokens) for f in logger.filters):
            logger.addFilter(RedactQueryTokens())
