"""Checks a model's answer in code before anyone sees it.

A model can be wrong, verbose, or talked into things by a source it was asked to read
(prompt injection: news text is written by anyone). Whether an answer "obeys" an injected
instruction cannot be decided reliably, so the rule here is structural: an answer is
accepted only if it cannot do harm whatever it says.

- it is not empty and not longer than the configured limit;
- it cites at least one source, and every [n] names a source that was given (a number the
  model invented is a claim with no source behind it);
- it holds no link (scheme://, www., markdown link, <...> autolink, mailto:) other than the
  exact URL of a given source, so an injected "visit https://evil.example" never reaches
  a user;
- it does not repeat the system prompt (ten consecutive words of one of its rules);
- it is grounded, as far as code can tell: every name (a capitalised word) and every
  number in a sentence must appear in the sources that sentence cites (title, outlet, date
  and quote), or, in a sentence that cites none, in some source. An invented "Quillwork AI
  hired 40 people [1]" or "Call +33 6 12 34 56 78 to claim [1]" is rejected.

What the grounding rule cannot catch: a false claim made only of the sources' own names
and numbers ("Lumenfeld left Quillwork" when the source says the reverse), negations,
invented common-noun claims ("the move was illegal"), and a word opening a sentence when it
is a usual opener or an adverb ("Previously", "Selon", "Notably"), which is excused.

Text copied from a source (a "CANARY-42" the source told the model to say) passes when the
rest does: it is the source's own words, cited, and shown as escaped plain text.
@everyone, @here and <@id> are not reasons to reject either: bot/render.py neutralises
mentions, markdown and links in every answer it sends; the verdict only notes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from index.links import MAILTO, live_links
from index.llm.prompt import RULES
from index.text import STOP_WORDS, fold
from index.types import Citation

OK = "ok"
OK_WITH_MENTIONS = "ok_mentions"
EMPTY = "empty"
TOO_LONG = "too_long"
PROMPT_LEAK = "prompt_leak"
FOREIGN_LINK = "foreign_link"
INVENTED_CITATION = "invented_citation"
NO_CITATION = "no_citation"
UNSUPPORTED = "unsupported_claim"

LEAK_WINDOW = 10  # consecutive words of a rule; shorter runs occur in honest answers

# [1], [1, 2], [1;3], [1-3], [2–4]
CITATION = re.compile(r"\[\s*(\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-–]\s*\d+)?)*)\s*\]")
_RANGE = re.compile(r"(\d+)(?:\s*[-–]\s*(\d+))?")
_MAX_RANGE = 50

# Only targets Discord could follow: "[1](Le Monde)" is text, "[1](evil.example/x)" is not.
_MARKDOWN_LINK = re.compile(
    r"\[[^\]\n]*\]\(\s*<?((?:[a-z][\w+.\-]*:|www\.|/)[^)\s>]*|[\w\-]+(?:\.[\w\-]+)+/[^)\s>]*)"
    r">?[^)]*\)",
    re.IGNORECASE,
)
_AUTOLINK = re.compile(r"<([^<>\s@#]*(?::|www\.)[^<>\s]*)>")
_DISCORD_TOKEN = re.compile(r"^(?:t:\d+(?::\w)?|a?:\w+:\d+|/[\w -]+:\d+)$")
_MENTION = re.compile(r"@(?:everyone|here)\b|<@[!&]?\d+>|<#\d+>")
_TRAILING = ".,;:!?)]}>\"'»”’"
_WORD = re.compile(r"\w+", re.UNICODE)


# Capitalised words that carry no claim: calendar words and the acronyms both languages use
# for the domain (a French source says "IA" where an English answer says "AI").
_NOT_NAMES = frozenset(fold(w) for w in """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday janvier fevrier mars avril mai
    juin juillet aout septembre octobre novembre decembre lundi mardi mercredi jeudi vendredi
    samedi dimanche ai ia ceo cto coo cfo pdg dg vp llm llms phd mr mrs ms dr mme m""".split())
# Words that open sentences of answers without making a claim (the stop words count too).
_OPENERS = frozenset(fold(w) for w in """
    according yes no ok okay however previously formerly later earlier then also both neither either
    today currently meanwhile since before after during while although though because
    besides instead there here its this these those another other some many most several
    none nothing nobody sources source article articles answer note
    selon oui non cependant toutefois auparavant ensuite puis aussi apres avant depuis pendant
    alors bien malgre parmi aujourd'hui desormais enfin d'apres aucun aucune rien personne
    certains plusieurs ceci celui celle ceux celles article reponse aujourd""".split())
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)|\n+")
_NUMBER = re.compile(r"\d+")
_NOT_CLAIMS = re.compile(
    r"<[^<>\s]*>|@(?:everyone|here)\b|(?i:\b(?:sources?|articles?)\s*(?:n°|no\.?|#)?\s*\d+)"
)
_NAME_WORD = re.compile(r"[^\W\d_][\w\-]*")


class Verdict(NamedTuple):
    ok: bool
    reason: str


def _leak_shingles() -> frozenset[tuple[str, ...]]:
    shingles: set[tuple[str, ...]] = set()
    for rule in RULES:
        words = [w.casefold() for w in _WORD.findall(rule)]
        for i in range(len(words) - LEAK_WINDOW + 1):
            shingles.add(tuple(words[i : i + LEAK_WINDOW]))
    return frozenset(shingles)


_LEAK_SHINGLES = _leak_shingles()


def citation_groups(text: str) -> list[tuple[re.Match[str], list[int]]]:
    """Each [..] citation marker with the source numbers it names, in order."""
    groups = []
    for match in CITATION.finditer(text):
        numbers: list[int] = []
        for part in _RANGE.finditer(match.group(1)):
            first = int(part.group(1))
            last = int(part.group(2)) if part.group(2) else first
            if last < first or last - first > _MAX_RANGE:
                numbers.append(-1)  # nonsense range: counts as an invented number
                continue
            numbers.extend(range(first, last + 1))
        groups.append((match, numbers))
    return groups


def cited_numbers(text: str) -> list[int]:
    """Source numbers in order of first citation, without repeats."""
    seen: dict[int, None] = {}
    for _, numbers in citation_groups(text):
        for n in numbers:
            seen.setdefault(n, None)
    return list(seen)


def renumber(text: str, mapping: Mapping[int, int]) -> str:
    """Citation markers rewritten through `mapping` (old number -> new number)."""

    def sub(match: re.Match[str]) -> str:
        numbers: dict[int, None] = {}
        for part in _RANGE.finditer(match.group(1)):
            first = int(part.group(1))
            last = int(part.group(2)) if part.group(2) else first
            for n in range(first, last + 1):
                numbers.setdefault(mapping[n], None)
        return "[" + ", ".join(str(n) for n in numbers) + "]"

    return CITATION.sub(sub, text)


def links(text: str) -> list[str]:
    """Every link-like thing in the text, as written (targets for markdown links)."""
    found: list[str] = []
    found.extend(m.group(1) for m in _MARKDOWN_LINK.finditer(text))
    for m in _AUTOLINK.finditer(text):
        if not _DISCORD_TOKEN.match(m.group(1)):
            found.append(m.group(1))
    found.extend(live_links(text))  # scheme:// wherever it starts, and www.
    found.extend(m.group(0) for m in MAILTO.finditer(text))
    return found


def _allowed(link: str, urls: Iterable[str]) -> bool:
    allowed = set(urls)
    # A source URL can itself end with ")" (Wikipedia): try the link as written first.
    return link in allowed or link.rstrip(_TRAILING) in allowed


def leaks_prompt(text: str) -> bool:
    words = [w.casefold() for w in _WORD.findall(text)]
    return any(
        tuple(words[i : i + LEAK_WINDOW]) in _LEAK_SHINGLES
        for i in range(len(words) - LEAK_WINDOW + 1)
    )


def has_mentions(text: str) -> bool:
    return _MENTION.search(text) is not None


def _words(text: str) -> set[str]:
    return {fold(w) for w in _WORD.findall(text)}


def _numbers(text: str) -> set[str]:
    return {n.lstrip("0") or "0" for n in _NUMBER.findall(text)}


def _claims(sentence: str) -> tuple[set[str], set[str]]:
    """The names (capitalised words) and numbers a sentence asserts, folded."""
    sentence = CITATION.sub(" ", sentence)
    # Not claims: links and mentions (judged by their own rules above), Discord's <...>
    # tokens, and the model naming a source by its number ("la source 2 dit").
    for link in links(sentence):
        sentence = sentence.replace(link, " ")
    sentence = _NOT_CLAIMS.sub(" ", sentence)
    words = [m.group(0) for m in _NAME_WORD.finditer(sentence)]
    names: set[str] = set()
    for i, word in enumerate(words):
        if len(word) < 2 or not word[0].isupper():
            continue
        folded = fold(word)
        if folded in _NOT_NAMES or folded in STOP_WORDS:
            continue
        # The word opening a sentence is capitalised anyway; it is excused only when it is
        # a usual opener ("Previously", "Selon") or an adverb ("Notably", "Finalement").
        if i == 0 and (folded in _OPENERS or folded.endswith(("ly", "ment"))):
            continue
        names.update(fold(part) for part in _WORD.findall(word))
    return names, _numbers(sentence)


def _source_text(source: Citation) -> str:
    return " ".join(p for p in (source.title, source.outlet, source.published, source.quote)
                    if p)


def unsupported(text: str, sources: Sequence[Citation]) -> list[str]:
    """Sentences whose names or numbers are in none of the sources they cite (or, when
    they cite none, in no source at all)."""
    by_number = {s.n: (_words(_source_text(s)), _numbers(_source_text(s))) for s in sources}
    every_word = set().union(*(w for w, _ in by_number.values())) if by_number else set()
    every_number = set().union(*(n for _, n in by_number.values())) if by_number else set()
    found = []
    for sentence in _SENTENCE.split(text):
        cited = [n for n in cited_numbers(sentence) if n in by_number]
        if cited:
            words = set().union(*(by_number[n][0] for n in cited))
            numbers = set().union(*(by_number[n][1] for n in cited))
        else:
            words, numbers = every_word, every_number
        names, figures = _claims(sentence)
        if not names <= words or not figures <= numbers:
            found.append(sentence)
    return found


def check_answer(text: str, sources: Sequence[Citation], max_chars: int) -> Verdict:
    """Whether `text` (the model's answer) may be shown; sources are numbered 1..k."""
    text = text.strip()
    if not text:
        return Verdict(False, EMPTY)
    if len(text) > max_chars:
        return Verdict(False, TOO_LONG)
    if leaks_prompt(text):
        return Verdict(False, PROMPT_LEAK)
    urls = [s.url for s in sources if s.url]
    if any(not _allowed(link, urls) for link in links(text)):
        return Verdict(False, FOREIGN_LINK)
    valid = {s.n for s in sources}
    numbers = cited_numbers(text)
    if any(n not in valid for n in numbers):
        return Verdict(False, INVENTED_CITATION)
    if not numbers:
        return Verdict(False, NO_CITATION)
    if unsupported(text, sources):
        return Verdict(False, UNSUPPORTED)
    return Verdict(True, OK_WITH_MENTIONS if has_mentions(text) else OK)
