"""Text analysis shared by the keyword index and the answerer.

French and English both: accents are folded, French elisions (l', d', qu') and English
possessives are cut, hyphenated words count as parts and as one word, and every word is
indexed under both its French and its English Snowball stem. Indexing both stems on both
sides is what lets an English question match a French article on shared words and names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from index.types import Language

_WORD = re.compile(r"\w+(?:[-‐‑'’]\w+)*", re.UNICODE)
_ELISION = re.compile(r"^(?:l|d|qu|n|s|c|j|m|t|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# The same characters as a pattern: removing them with re is ~10x faster than
# str.translate on accented text, and this runs over every chunk of a keyword rebuild.
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

_EN_STOP = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours also did according said says""".split()
)
_FR_STOP = frozenset(
    """au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le les leur
    leurs lui ma mais me même mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se
    ses son sur ta te tes toi ton tu un une vos votre vous c d j l m n s t y été étée étées étés
    étant suis es est sommes êtes sont serai sera seront serait seraient étais était étions
    étaient fus fut furent ai as avons avez ont aurai aura auront aurait auraient avais avait
    avaient eu eue eus eut ayant ceci cela celà ça comme donc dont ici lors alors aussi ainsi
    plus moins très tout tous toute toutes quel quelle quels quelles selon afin entre depuis
    encore déjà chez vers sans sous après avant""".split()
)

_FR_MARKERS = frozenset(
    "le la les des du une est sont qui que quel quelle quels quelles pourquoi comment combien "
    "où quand dans avec pour chez sur il elle ont a-t-il a-t-elle qu'est-ce ce cette".split()
)
_EN_MARKERS = frozenset(
    "the is are was were who what which why how when where did does do of in for with from "
    "to and has have at by".split()
)


def fold(text: str) -> str:
    """Lower-case, strip accents and zero-width characters: 'Rozière' -> 'roziere'."""
    text = text.translate(_ZERO_WIDTH)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


STOP_WORDS = _EN_STOP | _FR_STOP | frozenset(fold(w) for w in _FR_STOP)


@lru_cache(maxsize=2)
def _stemmer(language: str):  # type: ignore[no-untyped-def]
    import Stemmer  # PyStemmer: Snowball stemmers in C

    return Stemmer.Stemmer(language)


@lru_cache(maxsize=200_000)
def stems(word: str) -> tuple[str, ...]:
    """The folded French and English stems of one lower-case word (one or two items)."""
    fr = fold(_stemmer("french").stemWord(word))
    en = _stemmer("english").stemWord(fold(word))
    return (fr,) if fr == en else (fr, en)


def words(text: str) -> Iterator[str]:
    """Lower-case words with elisions and possessives cut; hyphenated words also split."""
    for token in _WORD.findall(_ZERO_WIDTH_RE.sub("", text)):
        yield from _word_parts(token)


def analyze(text: str) -> list[str]:
    """Index terms of a text: stems of its non-stop words, French and English."""
    terms: list[str] = []
    for token in _WORD.findall(_ZERO_WIDTH_RE.sub("", text)):
        terms.extend(_token_terms(token))
    return terms


@lru_cache(maxsize=500_000)
def _token_terms(token: str) -> tuple[str, ...]:
    """The terms of one raw word token. Word frequencies are Zipfian, so caching per token
    (case and elision included) makes analysing a large corpus mostly dictionary lookups:
    rebuilding the keyword side at 100k chunks is dominated by this function."""
    terms: list[str] = []
    for word in _word_parts(token):
        if word not in STOP_WORDS:
            terms.extend(stems(word))
    return tuple(terms)


def _word_parts(token: str) -> Iterator[str]:
    word = _POSSESSIVE.sub("", _ELISION.sub("", token.casefold()))
    parts = re.split(r"[-‐‑'’]", word)
    if len(parts) > 1:
        yield from (p for p in parts if p)
        yield "".join(parts)
    elif word:
        yield word


def detect_language(text: str) -> Language:
    """French or English, from function words and accents; English when unsure."""
    tokens = [m.group().casefold() for m in _WORD.finditer(text)]
    fr = sum(t in _FR_MARKERS for t in tokens) + 2 * sum(
        1 for t in tokens if re.search(r"[éèêàâçùûôîœ]", t)
    )
    fr += 2 * len(re.findall(r"\b(?:qu|l|d|n)['’]", text, re.IGNORECASE))
    en = sum(t in _EN_MARKERS for t in tokens)
    return "fr" if fr > en else "en"


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset in the source text

    @property
    def end(self) -> int:
        return self.start + len(self.text)


# A sentence ends at . ! ? … (with closing quotes) followed by space and a capital, a digit
# or an opening quote; or at a line break. Cheap and good enough for news prose.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"»”’)]*\s+(?=[«\"“A-ZÀ-ÖØ-Þ0-9])|\n+")


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Sentences with their offsets; each `text` is an exact slice of the input."""
    out: list[Sentence] = []
    pos = 0
    for match in _BOUNDARY.finditer(text):
        _append_stripped(out, text, pos, match.start(), offset)
        pos = match.end()
    _append_stripped(out, text, pos, len(text), offset)
    return out


def _append_stripped(out: list[Sentence], text: str, start: int, end: int, offset: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    out.append(Sentence(stripped, offset + start + lead))
