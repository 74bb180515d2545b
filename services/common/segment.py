"""Words for search (检索): what a text is indexed under, what a query asks for, and the snippet that shows a hit.

Chinese has no spaces between words: jieba (rjieba, the binding of jieba-rs, the maintained Rust port of jieba,
with its dictionary of 350,000 words) cuts a text into words. A text is indexed under the words of jieba's search
mode, which gives a long word and the words inside it (长三角一体化 → 长三, 三角, 长三角, 一体, 一体化), and under
every Chinese character it holds. A query is cut in jieba's precise mode without guessing new words: a word of the
dictionary is looked for as a word (推进 finds 推进, not 推 and 进 apart), anything else character by character, so
a name the dictionary lacks is still found. Every word of a query must be in a text for it to match.

Text is normalised first (NFKC: full-width Ｌｅｔｔｅｒｓ and digits as ASCII; case folded). A word is a run of
letters and digits: punctuation, symbols, spaces and operators of any query language are no words, so nothing a
caller types reaches a database as syntax."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache, lru_cache

MAX_QUERY_WORDS = 8  # a longer query asks for its first eight words
SNIPPET_CHARS = 120  # characters of text a snippet shows around the first hit
_LEAD = 30  # of which before the hit

_WORD = re.compile(r"[^\W_]+")  # letters and digits (underscore is a LIKE wildcard and no letter)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # CJK unified ideographs, extension A, compatibility


Cut = Callable[[str, bool], list[str]]  # a text, whether to guess new words: its words


@cache
def _jieba() -> tuple[Cut, Cut]:
    """jieba's precise and search modes. Imported by the first text that needs them: the dictionary takes 0.3 s
    and 30 MB, which a service that never searches nor writes searched records (notify_api) does not pay."""
    import rjieba  # noqa: PLC0415 - see above

    return rjieba.cut, rjieba.cut_for_search


def normal(text: str) -> str:
    """The text as words are read from it: NFKC, case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _words(tokens: Iterable[str]) -> Iterator[str]:
    for token in tokens:
        yield from _WORD.findall(token)


def index_words(texts: Iterable[str | None]) -> str:
    """The words a record's texts are indexed under, each once, separated by spaces (a search table's `words`)."""
    text = normal("\n".join(t for t in texts if t))
    words = dict.fromkeys(_words(_jieba()[1](text, True)))
    words.update(dict.fromkeys(_HAN.findall(text)))
    return " ".join(words)


def query_words(query: str) -> list[str]:
    """The words a query asks for, each once, in order (at most MAX_QUERY_WORDS); empty if it has none."""
    words = dict.fromkeys(_words(_jieba()[0](normal(query), False)))
    return list(words)[:MAX_QUERY_WORDS]


def snippet(texts: Sequence[str | None], words: Sequence[str]) -> str:
    """A piece of the first text where a query word is written, HTML-escaped, each word in it marked
    `<mark>…</mark>`; the start of the first text when no word is written as asked (found through its normal form
    only, or through the characters of a longer word). `…` says the text goes on before or after."""
    pattern = _pattern(tuple(words))
    text = next((t for t in texts if t), "")
    hit: re.Match[str] | None = None
    for candidate in texts:
        if candidate and (hit := pattern.search(candidate)):
            text = candidate
            break
    start = 0 if hit is None else max(0, hit.start() - _LEAD)
    end = start + SNIPPET_CHARS
    before, after = ("…" if start else ""), ("…" if end < len(text) else "")
    return before + _marked(text[start:end], pattern) + after


def _marked(piece: str, pattern: re.Pattern[str]) -> str:
    parts, at = [], 0
    for hit in pattern.finditer(piece):
        parts += [html.escape(piece[at : hit.start()]), "<mark>", html.escape(hit.group()), "</mark>"]
        at = hit.end()
    parts.append(html.escape(piece[at:]))
    return "".join(parts)


@lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """The query's words, longest first (a word wins over the characters in it); never the empty pattern."""
    ordered = sorted((w for w in words if w), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered)) or r"(?!)", re.IGNORECASE)
