"""Telling a follow-up ("and who else left?") from a fresh question."""

from __future__ import annotations

import re

_FOLLOW_UP = re.compile(
    r"^(?:and|also|what about|how about|who else|what else|why|when|where|"
    r"et|aussi|qui d['’]autre|quoi d['’]autre|pourquoi|quand|où|et pour)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(
    r"\b(?:he|she|they|him|her|them|his|their|it|its|that|there|"
    r"il|elle|ils|elles|lui|leur|leurs|y|en|cette entreprise|là-bas)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """True when the question leans on an earlier one (starts with 'and', uses a pronoun)."""
    text = question.strip()
    if _FOLLOW_UP.match(text):
        return True
    return len(text.split()) <= 6 and bool(_PRONOUN.search(text))
