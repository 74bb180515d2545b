"""The language of an answer (应答语言): English by default, Simplified Chinese when the caller prefers it.

The caller's `Accept-Language` (RFC 9110 §12.5.4, q-values respected) is read once per request into a context
variable (by LanguageMiddleware in the gateway, by the services' outermost layer, observe.ObserveMiddleware);
problem_response reads it to write the problem in that language and to say so (`Content-Language`,
`Vary: Accept-Language`). A header that cannot be read, or names only languages the services do not speak, gets
English.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

ENGLISH = "en"
CHINESE = "zh-CN"
LANGUAGES = (ENGLISH, CHINESE)
LANGUAGE: ContextVar[str] = ContextVar("duban_language", default=ENGLISH)

# Chinese written in traditional characters is asked for by these subtags; the catalogue has only simplified.
_TRADITIONAL = {"tw", "hk", "mo", "hant"}
_MAX_RANGES = 32  # a header longer than that is read no further: its tail cannot outweigh its head in practice


def _supported(tag: str) -> str | None:
    """The language of ours a language range asks for, if any (`*` is any: the default, English)."""
    parts = tag.lower().split("-")
    if parts == ["*"] or parts[0] == "en":
        return ENGLISH
    if parts[0] == "zh" and not _TRADITIONAL & set(parts[1:]):
        return CHINESE
    return None


def _weight(parameters: list[str]) -> float | None:
    """The q of a range (1 without one); None when its q is not a number from 0 to 1 (the range is ignored)."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None
            return q if 0 <= q <= 1 else None
    return 1.0


def negotiate(header: str | None) -> str:
    """The language to answer in: the supported one with the highest q (the first named on a tie), else English."""
    best, best_q = ENGLISH, 0.0
    for item in (header or "").split(",")[:_MAX_RANGES]:
        tag, *parameters = item.strip().split(";")
        language, q = _supported(tag.strip()), _weight(parameters)
        if language is not None and q is not None and q > best_q:
            best, best_q = language, q
    return best


def language_headers() -> dict[str, str]:
    """The headers of an answer whose words follow Accept-Language."""
    return {"Content-Language": LANGUAGE.get(), "Vary": "Accept-Language"}


class LanguageMiddleware:
    """Reads Accept-Language once per request, for the problem documents written while it is served."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = next((value for name, value in scope["headers"] if name == b"accept-language"), b"")
        token = LANGUAGE.set(negotiate(given.decode("latin-1")) if given else ENGLISH)  # none given: English
        try:
            await self.app(scope, receive, send)
        finally:
            LANGUAGE.reset(token)
