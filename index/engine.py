"""The engine facade every edge calls: ask, company, articles, ingest, about.

Opening it is cheap; the store, the keyword side and the model load on first use. It
notices a newer index written by another process (an ingest while the bot runs) and
switches to it without a restart: at once when that process left the keyword cache in
this data dir, otherwise after rebuilding it in a background thread (a bot machine of its
own against a Chroma server), answering from the previous version meanwhile.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from index.errors import BadQuestionError
from index.safety import looks_like_injection
from index.settings import EngineSettings, default_settings
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

if TYPE_CHECKING:
    from index.entities import Gazetteer
    from index.question import Question

log = logging.getLogger(__name__)
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))
_VERSION_CHECK_S = 2.0
_T = TypeVar("_T")


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
        self, settings: EngineSettings | None = None, encoder: Any = None, llm: Any = None
    ) -> None:
        """`llm`: an LLMAnswerer, or None to build one from LLM_* settings on first use
        (none when LLM_PROVIDER=none). Pass `False` to force the offline answerer."""
        self.settings = settings or default_settings()
        self._encoder = encoder
        self._llm = llm
        self._llm_loaded = llm is not None
        self._lock = threading.RLock()
        self._store: Any = None
        self._keyword: Any = None
        self._retriever: Any = None
        self._version = ""
        self._checked_at = 0.0
        self._moves: Any = None
        self._damaged_moves: Any = None  # the last records found unreadable (repaired once)
        self._refreshing: str | None = None  # the version being rebuilt in the background
        self._refreshed = threading.Event()
        self._companies: tuple[str, list[str]] | None = None

    # -- loading -------------------------------------------------------------------------
    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            from index.encoder import load_query_encoder

            self._encoder = load_query_encoder(
                self.settings.embed_model, self.settings.embed_threads, self.settings.model_cache
            )
        return self._encoder

    def _ensure_loaded(self) -> None:
        with self._lock:
            if self._store is None:
                from index.store import ChunkStore

                self._store = ChunkStore.open(
                    self.settings, self.encoder.model_id, self.encoder.dimension, create=False
                )
            now = time.monotonic()
            if self._keyword is not None and now - self._checked_at < _VERSION_CHECK_S:
                return
            self._checked_at = now
            store = self._store.reopened()
            version = store.corpus_version
            if (version == self._version and self._keyword is not None) or (
                version == self._refreshing
            ):
                # Up to date, or being brought up to date: only the refresh thread switches
                # (a question that found its half-written caches would redo its work).
                self._store = store
                return
            keyword = self._cached_keyword(version)
            if keyword is not None or self._keyword is None:
                # The writer left its caches where we read them (one data dir, or a shared
                # volume), or there is nothing to answer with yet: switch now.
                keyword = keyword or self._build_keyword(store, version)
                self._derive_moves(store, version)
                self._switch(store, version, keyword)
            else:
                # Another machine wrote a new version: rebuilding the keyword side and the
                # move records takes seconds to minutes at scale, so it runs beside the
                # questions, which keep the previous version's keyword side until it is done
                # (chunks it names that are gone are skipped; new ones come from the dense side).
                self._store = store
                self._refreshing = version
                threading.Thread(
                    target=self._refresh, args=(store, version), name="talentbot-refresh",
                    daemon=True,
                ).start()

    def _cached_keyword(self, version: str) -> Any:
        from index.derived import load_keyword

        return load_keyword(self.settings, version)

    def _build_keyword(self, store: Any, version: str) -> Any:
        from index.derived import build_keyword

        return build_keyword(self.settings, store, version)

    def _refresh(self, store: Any, version: str) -> None:
        try:
            keyword = self._build_keyword(store, version)
            self._derive_moves(store, version)
            with self._lock:
                if self._refreshing == version:
                    self._switch(store, version, keyword)
        except Exception:
            # The previous version keeps answering; the next check tries again.
            log.exception("could not refresh to index version %s", version)
        finally:
            with self._lock:
                if self._refreshing == version:
                    self._refreshing = None
                self._checked_at = 0.0
            self._refreshed.set()

    def _switch(self, store: Any, version: str, keyword: Any) -> None:
        from index.retrieve import HybridRetriever

        self._store = store
        self._keyword = keyword
        self._retriever = HybridRetriever(store, keyword, self.encoder, self.settings.top_k)
        self._version = version
        self._refreshing = None
        log.info("index version %s loaded (%d chunks)", version, len(keyword))

    def settle(self, timeout: float = 60.0) -> bool:
        """Check for a newer index now and wait for a background refresh to finish: for
        tools and tests that need the newest version; the bot never waits. True when the
        engine serves the store's current version."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self._checked_at = 0.0
                self._refreshed.clear()
            self._ensure_loaded()
            with self._lock:
                if self._refreshing is None:
                    return self._version == self._store.corpus_version
            if not self._refreshed.wait(max(0.0, deadline - time.monotonic())):
                return False

    def _derive_moves(self, store: Any, version: str) -> None:
        """Bring the local move records in line with the text index they belong to
        (derived from the stored chunks when they belong to another version or were
        found damaged)."""
        from index.derived import ensure_moves

        if ensure_moves(self.settings, store, version):
            self._moves = None  # reopened on next use; a question may still hold the old one

    def warm_up(self) -> None:
        """Load everything now (the bot does this before it connects)."""
        self._ensure_loaded()
        self.encoder.embed_query("warm up")
        _ = self.llm

    # -- questions -----------------------------------------------------------------------
    def clean_question(self, question: str) -> str:
        text = " ".join(question.translate(_CONTROL).split())
        if not text:
            raise BadQuestionError("Please ask a question: the message was empty.")
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
        self._ensure_loaded()
        reading = self.understand(question, context)
        answer = self._records_answer(question, reading)
        if answer is not None:
            return answer
        answer, sources = self.evidence(question, context, reading)
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
        from index.organisations import load_organisations
        from index.question import understand

        return understand(question, load_organisations(self.organisations_file), context)

    def evidence(
        self, question: str, context: Sequence[str] = (), reading: Question | None = None
    ) -> tuple[Answer, tuple[Citation, ...]]:
        """The extractive answer and the ranked sentences it chose from (the sources an
        LLM is given)."""
        from index.answer import answer_with_sources

        self._ensure_loaded()
        reading = reading or self.understand(question, context)
        query = " ".join([question, reading.refers_to or ""]).strip()
        chunks = self._retriever.retrieve(query)
        return answer_with_sources(
            question, chunks, self._keyword, context, reading=reading,
            gazetteer=self._gazetteer(),
        )

    def _gazetteer(self) -> Gazetteer:
        """Known organisations, outlets and movers, built once per index version."""
        from index.entities import Gazetteer
        from index.organisations import load_organisations, load_outlets

        cached: tuple[str, Gazetteer] | None = getattr(self, "_gazetteer_cache", None)
        if cached is not None and cached[0] == self._version:
            return cached[1]
        people = tuple(self.move_store.people()) if self.move_store is not None else ()
        gazetteer = Gazetteer(
            load_organisations(self.organisations_file),
            load_outlets(self.organisations_file),
            people,
        )
        self._gazetteer_cache = (self._version, gazetteer)
        return gazetteer

    def _records_answer(self, question: str, reading: Question) -> Answer | None:
        from index.moves.summary import answer_from_records
        from index.organisations import load_organisations

        if self.move_store is None:
            return None
        known = load_organisations(self.organisations_file)
        return self._from_records(
            lambda moves: answer_from_records(question, reading, moves, known), None
        )

    @property
    def llm(self) -> Any:
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
    def move_store(self) -> Any:
        """The move records, or None when no ingest has written them yet."""
        from index.derived import open_moves

        with self._lock:
            if self._moves is None and self.settings.moves_db.is_file():
                self._moves = open_moves(self.settings)
            return self._moves

    def _from_records(self, read: Callable[[Any], _T], default: _T) -> _T:
        """`read(move store)`, or `default` without records. Records found unreadable by a
        query (the file damaged while the engine runs) are rebuilt from the store once,
        with one warning, and the read retried."""
        from index import derived

        moves = self.move_store
        if moves is None:
            return default
        try:
            return read(moves)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise  # locked, read-only, disk full: not damage
            self._ensure_loaded()
            with self._lock:
                if self._damaged_moves is not moves:  # else another question repaired it
                    self._damaged_moves = moves
                    log.warning("move records in %s unreadable (%s); rebuilding them from "
                                "the index", self.settings.moves_db, exc)
                    self._moves = None
                    derived.discard_moves(self.settings)
                    derived.ensure_moves(self.settings, self._store, self._version)
        moves = self.move_store
        return default if moves is None else read(moves)

    def company(
        self, name: str, language: Language = "en", chart: Path | None = None
    ) -> CompanySummary:
        """Arrivals and departures from the move records, with the articles' context;
        `chart` writes the talent-flow chart there (PNG)."""
        from dataclasses import replace

        from index.company import summarise_company
        from index.moves.summary import company_summary
        from index.organisations import load_organisations, resolve

        name = self.clean_question(name)
        known = load_organisations(self.organisations_file)
        org = resolve(name, known)
        self._ensure_loaded()
        hits = self._keyword.search(" ".join(org.all_names), 1_000)
        chunks = self._store.get([cid for cid, _ in hits])
        summary = summarise_company(org, chunks, language, known)
        summary = self._from_records(
            lambda moves: company_summary(org, moves, language, summary), summary
        )
        if chart is not None and summary.found:
            from index.chart import flow_chart

            flow_chart(summary, chart, language)
            summary = replace(summary, chart=str(chart))
        return summary

    def person(self, name: str, language: Language = "en") -> PersonSummary:
        from index.moves.summary import person_summary

        name = self.clean_question(name)
        self._ensure_loaded()
        return self._from_records(
            lambda moves: person_summary(moves, name, language),
            PersonSummary(name, None, False, "No move records yet.", (), ()),
        )

    def organisation(self, name: str) -> str:
        """The canonical name of an organisation a user names (itself when unknown)."""
        from index.organisations import load_organisations, resolve

        return resolve(name, load_organisations(self.organisations_file)).name

    def people(self) -> list[str]:
        return self._from_records(lambda moves: list(moves.people()), [])

    def moves(self, f: Any) -> list[tuple[Move, Citation]]:
        """Records matching a MoveFilter, each with the citation of its evidence."""
        from index.moves.query import citation_for, find_moves

        self._ensure_loaded()
        return self._from_records(
            lambda moves: [(m, citation_for(moves, m, i + 1))
                           for i, m in enumerate(find_moves(moves, f))],
            [],
        )

    @property
    def organisations_file(self) -> Path:
        return self.settings.organisations_file

    def companies(self) -> list[str]:
        """Canonical names of the organisations the corpus mentions (for autocomplete)."""
        from index.organisations import load_organisations

        self._ensure_loaded()
        # Asked on every keystroke of an autocomplete: computed once per index version.
        cached = self._companies
        if cached is not None and cached[0] == self._version:
            return list(cached[1])
        found = [
            org.name for org in load_organisations(self.organisations_file)
            if self._keyword.search(" ".join(org.all_names), 1)
        ]
        self._companies = (self._version, found)
        return list(found)

    def articles(self) -> list[ArticleInfo]:
        self._ensure_loaded()
        out = []
        for article_id, chunks in sorted(self._store.articles().items()):
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
        self._ensure_loaded()
        return EngineInfo(
            articles=len(self._store.articles()),
            chunks=self._store.count(),
            embed_model=self.encoder.model_id,
            corpus_version=self._version,
            answer_mode=self.answer_mode,
            updated=self._store.metadata.get("updated_at"),
            refreshing=self._refreshing is not None,
        )

    # -- writing -------------------------------------------------------------------------
    def ingest(
        self, paths: Sequence[Path] | None = None, *, rebuild: bool = False, progress: Any = None
    ) -> IngestReport:
        from index.ingest import ingest

        report = ingest(self.settings, paths, rebuild=rebuild, progress=progress)
        with self._lock:
            self._checked_at = 0.0  # pick the new version up on the next question
        return report

    def has_index(self) -> bool:
        from index.errors import IndexMissingError

        try:
            self._ensure_loaded()
        except IndexMissingError:
            return False
        return True
