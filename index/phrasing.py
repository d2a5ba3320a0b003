"""The answer-first sentence, in the question's language: the values that answer it, each
run of values followed by the numbers of the citations that hold it.

One home for how an answer is stated, whether it comes from the move records
(index/moves/summary.py) or from the quoted sentences (index/answer.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from index.types import AnswerValue, Language

_HEAD = {"en": "In short: ", "fr": "En bref : "}
_AND = {"en": " and ", "fr": " et "}
_PER = {"en": "per the article of {}", "fr": "d'après l'article du {}"}


def state(
    values: Sequence[AnswerValue],
    language: Language,
    published: str | None = None,
    head_only: bool = False,
) -> str:
    """'In short: A, B [1] and C [2].' ('En bref : …'); `published` adds the source date of
    a date answer: '(per the article of 2024-08-03)'. Empty when there is no value;
    `head_only`: just 'In short: ', for an answer stated in parts."""
    if head_only:
        return _HEAD[language]
    if not values:
        return ""
    parts: list[str] = []
    for i, value in enumerate(values):
        nxt = values[i + 1] if i + 1 < len(values) else None
        marks = "".join(f"[{n}]" for n in value.citations)
        # One mark after the last value of each run cited by the same sentences.
        same_run = nxt is not None and nxt.citations == value.citations
        parts.append(value.text if same_run or not marks else f"{value.text} {marks}")
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + _AND[language] + parts[-1]
    note = f" ({_PER[language].format(published)})" if published else ""
    return f"{_HEAD[language]}{joined}{note}."


def unheaded(stated: str, language: Language) -> str:
    """A stated answer without its 'In short: ', to be joined to another part's."""
    return stated.removeprefix(_HEAD[language])
