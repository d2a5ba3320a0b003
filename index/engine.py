"""The engine facade every edge calls: ask, company, articles, ingest, about.

Opening it is cheap; the store, the keyword side and the model load on first use. Which
index version it answers from is the loader's business (index/versions.py): every query
method reads the loader's current snapshot (index/snapshot.py) once and answers from that
version alone, while a newer one may be switched in beside it.

What a question needs beyond that (the question reader, the records, the answerer, the
model) is imported on first use: `import index.engine` stays light for a face's cold start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from index.errors import BadQuestionError, IndexMissingError
from index.organisations import load_organisations, load_outlets, resolve
from index.safety import looks_like_injection
from index.settings import EngineSettings, default_settings
from index.snapshot import Snapshot
from index.types import (
    Answer,
    ArticleInfo,
    Citation,
    CompanySummary,
    IngestReport,
    Language,
    Move,
    PersonSummary,
)
from index.versions import SnapshotLoader

if TYPE_CHECKING:  # loaded on first use (start-up time)
    from index.encoder import Encoder
    from index.entities import Gazetteer
    from index.llm import LLMAnswerer
    from index.moves.query import MoveFilter
    from index.moves.store import MoveStore
    from index.question import Question

log = logging.getLogger(__name__)
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))


@dataclass(frozen=True)
class EngineInfo:
    articles: int
    chunks: int
    embed_model: str
    corpus_version: str
    answer_mode: str
    updated: str | None
    refreshing: bool = False  # a newer version is being loaded in the background


class Engine:
    def __init__(
        self,
        settings: EngineSettings | None = None,
        encoder: Encoder | None = None,
        llm: LLMAnswerer | Literal[False] | None = None,
    ) -> None:
        """`llm`: an LLMAnswerer, or None to build one from LLM_* settings on first use
        (none when LLM_PROVIDER=none). Pass `False` to force the offline answerer."""
        self.settings = settings or default_settings()
        self._encoder = encoder
        self._llm = llm
        self._llm_loaded = llm is not None
        self._lock = threading.RLock()
        self._versions = SnapshotLoader(self.settings, lambda: self.encoder)

    # -- loading -------------------------------------------------------------------------
    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            from index.query_encoder import load_query_encoder

            self._encoder = load_query_encoder(
                self.settings.embed_model, self.settings.embed_threads, self.settings.model_cache
            )
        return self._encoder

    def snapshot(self) -> Snapshot:
        """The index version to answer from (its store, keyword side and retriever), newer
        ones noticed as questions arrive. Read it once per question."""
        return self._versions.current()

    def settle(self, timeout: float = 60.0) -> bool:
        """Check for a newer index now and wait for a background refresh to finish: for
        tools and tests that need the newest version; the bot never waits. True when the
        engine serves the store's current version."""
        return self._versions.settle(timeout)

    def warm_up(self) -> None:
        """Load everything now (the bot does this before it connects)."""
        self.snapshot()
        self.encoder.embed_query("warm up")
        _ = self.llm

    # -- questions -----------------------------------------------------------------------
    def clean_question(self, question: str) -> str:
        text = " ".join(question.translate(_CONTROL).split())
        if not text:
            raise BadQuestionError("Please ask a question: the message was empty.")
        if not any(c.isalnum() for c in text):
            # Punctuation or undecodable bytes alone ("??", "\ufffd\ufffd") ask nothing; read
            # as a follow-up they would repeat the previous answer.
            raise BadQuestionError("Please ask a question: the message has no words.")
        limit = self.settings.max_question_chars
        if len(text) > limit:
            raise BadQuestionError(
                f"That question is {len(text):,} characters long; please keep it under "
                f"{limit:,}."
            )
        return text

    def ask(self, question: str, context: Sequence[str] = ()) -> Answer:
        """Answer with cited quotes; `context` holds the conversation's earlier questions,
        oldest first (every face passes all it has: the engine decides whether this one
        follows up on them, and on which)."""
        question = self.clean_question(question)
        context = [self.clean_question(c)[:500] for c in context[-5:] if c.strip()]
        snapshot = self.snapshot()
        reading = self.understand(question, context)
        answer = self._records_answer(question, reading)
        if answer is not None:
            return answer
        answer, sources = self._evidence(snapshot, question, context, reading)
        llm = self.llm
        if llm is not None and not answer.abstained and sources and not looks_like_injection(
            " ".join([question, *context])
        ):
            # The model writes from the same verified sentences; any failure, timeout or
            # rejected output gives back the extractive answer unchanged.
            answer = llm.answer(question, answer.language, sources, fallback=answer)
        return answer

    def understand(self, question: str, context: Sequence[str] = ()) -> Question:
        """The typed reading of a question (index/question.py), a follow-up's names filled
        in from the conversation."""
        from index.question import understand

        return understand(question, load_organisations(self.organisations_file), context)

    def evidence(
        self, question: str, context: Sequence[str] = (), reading: Question | None = None
    ) -> tuple[Answer, tuple[Citation, ...]]:
        """The extractive answer and the ranked sentences it chose from (the sources an
        LLM is given)."""
        return self._evidence(self.snapshot(), question, context, reading)

    def _evidence(
        self,
        snapshot: Snapshot,
        question: str,
        context: Sequence[str],
        reading: Question | None,
    ) -> tuple[Answer, tuple[Citation, ...]]:
        from index.answer import answer_with_sources

        reading = reading or self.understand(question, context)
        query = " ".join([question, reading.refers_to or ""]).strip()
        chunks = snapshot.retriever.retrieve(query)
        return answer_with_sources(
            question, chunks, snapshot.keyword, context, reading=reading,
            gazetteer=snapshot.gazetteer(self._gazetteer),
        )

    def _gazetteer(self) -> Gazetteer:
        """Known organisations, outlets and movers (the snapshot keeps it per version)."""
        from index.entities import Gazetteer

        moves = self.move_store
        return Gazetteer(
            load_organisations(self.organisations_file),
            load_outlets(self.organisations_file),
            tuple(moves.people()) if moves is not None else (),
        )

    def _records_answer(self, question: str, reading: Question) -> Answer | None:
        from index.moves.summary import answer_from_records

        if self.move_store is None:
            return None
        known = load_organisations(self.organisations_file)
        return self._versions.read_moves(
            lambda moves: answer_from_records(question, reading, moves, known), None
        )

    @property
    def llm(self) -> LLMAnswerer | None:
        """The optional LLM answerer (None when LLM_PROVIDER is none)."""
        with self._lock:
            if not self._llm_loaded:
                from index.llm import build_answerer, load_llm_settings

                self._llm = build_answerer(load_llm_settings())
                self._llm_loaded = True
            return self._llm or None

    @property
    def answer_mode(self) -> str:
        llm = self.llm
        if llm is None:
            return "extractive"
        return f"llm ({llm.settings.provider}: {llm.settings.model}), extractive fallback"

    @property
    def move_store(self) -> MoveStore | None:
        """The move records, or None when no ingest has written them yet."""
        return self._versions.moves()

    def company(self, name: str, language: Language = "en") -> CompanySummary:
        """Arrivals and departures from the move records, with the articles' context. Data
        only: a face that wants the talent-flow chart draws it (`index.chart.flow_chart`)."""
        from index.company import summarise_company
        from index.moves.summary import company_summary

        name = self.clean_question(name)
        known = load_organisations(self.organisations_file)
        org = resolve(name, known)
        snapshot = self.snapshot()
        hits = snapshot.keyword.search(" ".join(org.all_names), 1_000)
        chunks = snapshot.store.get([cid for cid, _ in hits])
        summary = summarise_company(org, chunks, language, known)
        return self._versions.read_moves(
            lambda moves: company_summary(org, moves, language, summary), summary
        )

    def person(self, name: str, language: Language = "en") -> PersonSummary:
        from index.moves.summary import person_summary

        name = self.clean_question(name)
        self.snapshot()  # a newer version brings its move records in line first
        return self._versions.read_moves(
            lambda moves: person_summary(moves, name, language),
            PersonSummary(name, None, False, "No move records yet.", (), ()),
        )

    def organisation(self, name: str) -> str:
        """The canonical name of an organisation a user names (itself when unknown)."""

        return resolve(name, load_organisations(self.organisations_file)).name

    def people(self) -> list[str]:
        return self._versions.read_moves(lambda moves: list(moves.people()), [])

    def moves(self, f: MoveFilter) -> list[tuple[Move, Citation]]:
        """Records matching a MoveFilter, each with the citation of its evidence."""
        from index.moves.query import citation_for, find_moves

        self.snapshot()  # a newer version brings its move records in line first
        return self._versions.read_moves(
            lambda moves: [(m, citation_for(moves, m, i + 1))
                           for i, m in enumerate(find_moves(moves, f))],
            [],
        )

    @property
    def organisations_file(self) -> Path:
        return self.settings.organisations_file

    def companies(self) -> list[str]:
        """Canonical names of the organisations the corpus mentions (for autocomplete)."""

        return list(self.snapshot().companies(load_organisations(self.organisations_file)))

    def articles(self) -> list[ArticleInfo]:
        out = []
        for article_id, chunks in sorted(self.snapshot().store.articles().items()):
            ref = chunks[0].article
            out.append(ArticleInfo(
                article_id=article_id,
                title=ref.title,
                outlet=ref.outlet,
                published=ref.published,
                url=ref.url,
                language=ref.language,
                chunks=len(chunks),
                fingerprint=ref.fingerprint,
            ))
        return out

    def info(self) -> EngineInfo:
        snapshot = self.snapshot()
        return EngineInfo(
            articles=len(snapshot.store.articles()),
            chunks=snapshot.store.count(),
            embed_model=self.encoder.model_id,
            corpus_version=snapshot.version,
            answer_mode=self.answer_mode,
            updated=snapshot.store.metadata.get("updated_at"),
            refreshing=self._versions.refreshing,
        )

    # -- writing -------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        *,
        rebuild: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> IngestReport:
        from index.ingest import ingest

        report = ingest(self.settings, paths, rebuild=rebuild, progress=progress)
        self._versions.check_soon()  # pick the new version up on the next question
        return report

    def has_index(self) -> bool:
        try:
            self.snapshot()
        except IndexMissingError:
            return False
        return True
