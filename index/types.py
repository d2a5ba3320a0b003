"""Plain result types the engine returns to every edge (CLI, Discord, tests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Language = Literal["en", "fr"]
AnswerMode = Literal["extractive", "records", "llm", "abstained"]


@dataclass(frozen=True)
class Citation:
    """One numbered source: the article and the exact sentence quoted from it."""

    n: int
    article_id: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    quote: str
    start: int  # character offset of `quote` in the article body

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "article_id": self.article_id,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
            "url": self.url,
            "quote": self.quote,
        }


@dataclass(frozen=True, slots=True)  # one per chunk read: 100k at scale
class ArticleRef:
    """The article a chunk or a move record comes from, as it was indexed: everything a
    citation shows of it, plus the hashes that say which version of its text was indexed."""

    article_id: str
    title: str
    outlet: str | None = None
    published: str | None = None  # ISO date
    url: str | None = None
    language: str | None = None
    fingerprint: str | None = None  # of the text and metadata indexed
    content_hash: str | None = None

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any], article_id: str | None = None) -> ArticleRef:
        """Read from stored metadata (a Chroma chunk's, a move-record article row), whose
        keys are these fields' names; a value left out (stored as absent) is None."""
        aid = str(meta["article_id"]) if article_id is None else article_id

        def text(key: str) -> str | None:
            value = meta.get(key)
            return None if value is None else str(value)

        return cls(
            article_id=aid,
            title=text("title") or aid,  # every indexed article has one; never cite blank
            outlet=text("outlet"),
            published=text("published"),
            url=text("url"),
            language=text("language"),
            fingerprint=text("fingerprint"),
            content_hash=text("content_hash"),
        )

    def cite(self, n: int, quote: str, start: int) -> Citation:
        """Citation number `n` of this article: `quote` is the exact text at offset `start`
        of its body. The one way a Citation is made from an article."""
        return Citation(
            n=n, article_id=self.article_id, title=self.title, outlet=self.outlet,
            published=self.published, url=self.url, quote=quote, start=start,
        )


@dataclass(frozen=True)
class AnswerValue:
    """One value the answer states (a name, a date, a number...) and the citations that
    hold it."""

    text: str
    citations: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": list(self.citations)}


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    confidence: float
    mode: AnswerMode
    language: Language
    answer_type: str | None = None  # what the question asks for (index/question.py)
    values: tuple[AnswerValue, ...] = ()  # the answer itself, stated first in `text`
    follow_up_of: str | None = None  # the earlier question a follow-up was read with

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 3),
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "answer_type": self.answer_type,
            "values": [v.to_dict() for v in self.values],
            "follow_up_of": self.follow_up_of,
        }


MoveKind = Literal["joined", "left", "hired", "poached", "announced", "rumoured", "confirmed"]
# text: stated in the sentence; relative: "le mois dernier", "last year" resolved against
# the article's date; article: the article's own date (the sentence gives none).
DateSource = Literal["text", "relative", "article"]


@dataclass(frozen=True)
class Move:
    """One talent move as the corpus states it, with the sentence that says so.

    `from_org` / `to_org` are canonical organisation names (see corpus/organisations.yaml)
    or None when the text does not say; `date` is ISO (YYYY, YYYY-MM or YYYY-MM-DD), taken
    from the sentence when it gives one (`date_source="text"`), else the article's date.
    """

    person: str
    from_org: str | None
    to_org: str | None
    kind: MoveKind
    article_id: str
    evidence: str  # the exact sentence, verified to be in the article
    start: int  # offset of `evidence` in the article body
    role: str | None = None
    date: str | None = None
    date_source: DateSource | None = None
    source: str = "rules"  # rules | override | llm

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CitedMove:
    move: Move
    citation: int  # number of its Citation

    def to_dict(self) -> dict[str, Any]:
        m = self.move
        return {
            "person": m.person, "from": m.from_org, "to": m.to_org, "kind": m.kind,
            "role": m.role, "date": m.date, "date_source": m.date_source,
            "article_id": m.article_id, "evidence": m.evidence, "source": m.source,
            "citation": self.citation,
        }


@dataclass(frozen=True)
class CompanySummary:
    company: str
    found: bool
    summary: str
    citations: tuple[Citation, ...]
    aliases: tuple[str, ...] = ()
    language: Language = "en"
    arrivals: tuple[CitedMove, ...] = ()
    departures: tuple[CitedMove, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "found": self.found,
            "summary": self.summary,
            "citations": [c.to_dict() for c in self.citations],
            "arrivals": [m.to_dict() for m in self.arrivals],
            "departures": [m.to_dict() for m in self.departures],
        }


@dataclass(frozen=True)
class PersonSummary:
    query: str
    person: str | None
    found: bool
    summary: str
    moves: tuple[CitedMove, ...]
    citations: tuple[Citation, ...]
    language: Language = "en"

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "person": self.person,
            "found": self.found,
            "summary": self.summary,
            "moves": [m.to_dict() for m in self.moves],
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(frozen=True)
class ArticleInfo:
    """What the engine knows of one indexed article (for /sources, /about)."""

    article_id: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    language: str | None
    chunks: int
    fingerprint: str | None = None  # of the text and metadata indexed (doctor's freshness)


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass
class IngestReport:
    """What one ingest did. `embedded_chunks == 0` on an unchanged corpus."""

    articles_seen: int = 0
    articles_added: int = 0
    articles_updated: int = 0
    articles_removed: int = 0
    articles_unchanged: int = 0
    articles_extracted: int = 0  # move records (re-)extracted
    chunks_written: int = 0
    embedded_chunks: int = 0
    word_pieces: int = 0
    truncated_word_pieces: int = 0
    seconds: float = 0.0
    skipped: list[SkippedFile] = field(default_factory=list)
    duplicates: list[SkippedFile] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
