"""Plain result types the engine returns to every edge (CLI, Discord, tests)."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    confidence: float
    mode: AnswerMode
    language: Language

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 3),
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass(frozen=True)
class CompanySummary:
    company: str
    found: bool
    summary: str
    citations: tuple[Citation, ...]
    aliases: tuple[str, ...] = ()
    language: Language = "en"

    def to_dict(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "found": self.found,
            "summary": self.summary,
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
    chunks_written: int = 0
    embedded_chunks: int = 0
    word_pieces: int = 0
    truncated_word_pieces: int = 0
    seconds: float = 0.0
    skipped: list[SkippedFile] = field(default_factory=list)
    duplicates: list[SkippedFile] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
