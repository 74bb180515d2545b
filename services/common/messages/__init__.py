"""The words of problem documents in each language the services speak (services/common/language.py).

One data file per language beside this module: en.toml (the default: titles only, the details being written in
English where a problem is raised) and zh-CN.toml. A problem keeps its code in every language; only its `title`,
`detail` and the messages of its `errors` are said in the caller's language.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.common.language import CHINESE, ENGLISH, LANGUAGES

_HERE = Path(__file__).parent
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
BUSINESS_RULE = "business_rule"  # the type of a field error a business rule raised (problems.Unprocessable)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """One language's words (the sections of its data file)."""

    titles: Mapping[str, str]
    status_titles: Mapping[int, str]
    details: tuple[tuple[re.Pattern[str], str], ...]
    fallback: Mapping[str, str]
    default_fallback: str
    words: Mapping[str, str]
    field_messages: Mapping[str, str]


def pattern(template: str) -> re.Pattern[str]:
    """The English detail a template matches, its variable parts captured by name."""
    parts = _PLACEHOLDER.split(template)
    # Even parts are literal text, odd ones the names of the variable parts.
    return re.compile(
        "".join(re.escape(part) if n % 2 == 0 else f"(?P<{part}>.+?)" for n, part in enumerate(parts)), re.DOTALL
    )


def _load(language: str) -> Catalogue:
    with (_HERE / f"{language}.toml").open("rb") as file:
        data = tomllib.load(file)
    return Catalogue(
        titles=data["titles"],
        status_titles={int(status): title for status, title in data.get("status_titles", {}).items()},
        details=tuple((pattern(english), said) for english, said in data.get("details", ())),
        fallback=data.get("fallback", {}),
        default_fallback=data.get("default_fallback", ""),
        words=data.get("words", {}),
        field_messages=data.get("field_messages", {}),
    )


# Read once, at import: the data files are part of the code.
_CATALOGUES = {language: _load(language) for language in LANGUAGES}


def catalogue(language: str) -> Catalogue:
    return _CATALOGUES[language]


def english_title(code: str | None) -> str | None:
    return catalogue(ENGLISH).titles.get(code) if code else None


def chinese_detail(detail: str, code: str | None) -> str:
    """The Chinese of a detail the catalogue knows; else the code's sentence with the English kept after it."""
    chinese = catalogue(CHINESE)
    for english, said in chinese.details:
        if (found := english.fullmatch(detail)) is not None:
            return said.format_map({name: chinese.words.get(value, value) for name, value in found.groupdict().items()})
    return f"{chinese.fallback.get(code or '', chinese.default_fallback)}（{detail}）"


def _chinese_error(error: Any) -> Any:
    """A field error's message in Chinese: by its type, or (a business rule's, which is its problem's detail) as a
    detail is said."""
    messages = catalogue(CHINESE).field_messages
    if not isinstance(error, Mapping):
        return error
    if error.get("type") == BUSINESS_RULE and isinstance(error.get("message"), str):
        return {**error, "message": chinese_detail(error["message"], "unprocessable")}
    if error.get("type") not in messages:
        return error
    return {**error, "message": messages[error["type"]]}


def _chinese_validation_detail(errors: list[Any]) -> str | None:
    """`body.title：缺少此项（另有 2 处）`, as the English detail of a validation problem says its first input."""
    first = errors[0] if errors else None
    if not isinstance(first, Mapping) or not isinstance(first.get("location"), list):
        return None
    where = ".".join(str(part) for part in first["location"])
    more = f"（另有 {len(errors) - 1} 处）" if len(errors) > 1 else ""
    return f"{where}：{first['message']}{more}"


def localise(body: dict[str, Any], code: str | None, language: str) -> None:
    """Say the problem document in `language` (English is left as it is)."""
    if language == ENGLISH:
        return
    chinese = catalogue(CHINESE)
    body["title"] = chinese.titles.get(code or "") or chinese.status_titles.get(body["status"], body["title"])
    if body.get("errors"):
        body["errors"] = [_chinese_error(error) for error in body["errors"]]
    said = _chinese_validation_detail(body.get("errors") or []) if code == "validation-error" else None
    if said is not None:
        body["detail"] = said
    elif isinstance(body.get("detail"), str):
        body["detail"] = chinese_detail(body["detail"], code)
