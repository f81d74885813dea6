"""Accent- and case-insensitive search that behaves the same on SQLite and PostgreSQL.

Text is *folded* in Python (NFC, then every combining mark removed, ``đ`` → ``d``, lower case,
punctuation other than ``. - /`` turned into spaces) and stored in
``ProcedureVersion.search_text`` by the services that write versions. A query is folded the same
way and each of its words must occur in that column (``search_text__contains``, i.e.
``LIKE '%word%'``), so ``dang ky khai sinh``, ``ĐĂNG KÝ KHAI SINH`` and ``Đăng ký khai sinh``
find the same procedures and a code such as ``1.001193`` finds its own. On PostgreSQL a GIN
trigram index (migration 0003) serves those ``LIKE`` patterns; SQLite scans, which is fine for
the embedded mode's catalog size.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.db.models import Q

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 12
_SEPARATORS = re.compile(r"[^\w.\-/]+")
_EDGE_PUNCTUATION = ".-/"


def fold(text: str) -> str:
    """``text`` without accents, in lower case, with single spaces: the search form of a text."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("Đ", "d").lower()
    return " ".join(_SEPARATORS.sub(" ", stripped).replace("_", " ").split())


def search_words(query: str) -> list[str]:
    """The distinct folded words of a user's query (at most ``MAX_QUERY_WORDS``)."""
    words: list[str] = []
    for word in fold(query).split():
        word = word.strip(_EDGE_PUNCTUATION)
        if word and word not in words:
            words.append(word)
    return words[:MAX_QUERY_WORDS]


def build_search_text(
    *, code: str, local_code: str, name: str, keywords: str, sector_names: Iterable[str]
) -> str:
    """The folded text a version is found by: codes, name, keywords and sector names."""
    return fold(" ".join([code, local_code, name, keywords, *sector_names]))


def search_filter(query: str, field: str = "search_text") -> Q:
    """A ``Q`` requiring every word of ``query`` in ``field`` (empty query: no condition)."""
    condition = Q()
    for word in search_words(query):
        condition &= Q(**{f"{field}__contains": word})
    return condition
