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


_QUESTION_START = re.compile(
    r"^(?:who|whom|whose|what|which|when|where|why|how|did|does|do|is|are|was|were|has|have|"
    r"can|could|qui|que|quoi|quel|quelle|quels|quelles|quand|où|pourquoi|comment|combien|"
    r"est-ce|y a-t-il)\b",
    re.IGNORECASE,
)


def looks_like_question(text: str) -> bool:
    """A message that asks something (for channels where the bot answers unprompted)."""
    text = text.strip()
    return text.endswith("?") or bool(_QUESTION_START.match(text))
