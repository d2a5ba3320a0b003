"""Operations: `talentbot doctor` checks, and backup / restore of the embedded store."""

from __future__ import annotations

import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import TalentbotError
from index.lock import writer_lock
from index.redact import redact
from index.settings import EngineSettings

BACKUP_FORMAT = "talentbot-backup-1"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail,
                "required": self.required}


def _run(name: str, fn: Callable[[], str], required: bool = True) -> Check:
    # Details can quote a server's error text, which can echo a credential: masked.
    try:
        return Check(name, True, redact(fn()), required)
    except TalentbotError as exc:
        return Check(name, False, redact(str(exc)), required)
    except Exception as exc:  # a check reports, it never crashes the report
        return Check(name, False, f"{type(exc).__name__}: {redact(str(exc))[:200]}", required)


def doctor(engine: Any, token_present: bool | None, quick: bool = False) -> list[Check]:
    """Settings, token presence, model, store reachability, index health and freshness,
    move records, LLM reachability. Never prints or returns a secret."""
    from index.corpus import discover, load_corpus

    settings: EngineSettings = engine.settings
    checks: list[Check] = []
    if token_present is not None:
        checks.append(Check(
            "discord token", token_present,
            "DISCORD_TOKEN is set" if token_present else "DISCORD_TOKEN is not set",
            required=False,
        ))

    def model() -> str:
        from index.encoder import MINILM_MODEL, MODEL_DIR, verify_model_files

        if not quick:
            if engine.settings.embed_model == MINILM_MODEL:
                verify_model_files(MODEL_DIR)
            engine.encoder.embed_query("doctor probe")  # the files are there and load
        return f"{engine.encoder.model_id}, {engine.encoder.dimension} dimensions"

    checks.append(_run("embedding model", model))

    def store() -> str:
        from index.store import _where, damaged_store, embedded_damage, open_client, store_errors

        where = _where(settings)
        problem = embedded_damage(settings)  # read-only, before chromadb touches the file
        if problem is not None:
            raise damaged_store(where, problem)
        client = open_client(settings)
        with store_errors(where):
            client.heartbeat()
        where = (f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
                 if settings.chroma_host else f"embedded store in {settings.chroma_dir}")
        return f"{where} answers"

    checks.append(_run("vector store", store))

    # The derived data is checked before the index loads, because loading repairs it.
    def keyword() -> str:
        from index.derived import keyword_damage
        from index.keyword import KeywordIndex

        problem = keyword_damage(settings)
        if problem is not None:
            raise TalentbotError(f"{problem}: it is rebuilt from the index when next loaded")
        version = KeywordIndex.cached_version(settings.keyword_dir)
        if version is None:
            return "none cached yet (built from the index when first loaded)"
        return f"version {version}, checksum verified"

    checks.append(_run("keyword cache", keyword))

    def moves() -> str:
        from index.derived import moves_damage
        from index.moves.store import MoveStore

        problem = moves_damage(settings)
        if problem is not None:
            raise TalentbotError(
                f"{settings.moves_db} is damaged ({problem}): the records are rebuilt from "
                "the index when next loaded"
            )
        if not settings.moves_db.is_file():
            return "no move records yet (written by the next ingest)"
        with MoveStore(settings.moves_db) as store:
            return f"{len(store.moves())} records, {len(store.people())} people"

    checks.append(_run("move records", moves))

    def index() -> str:
        info = engine.info()
        loading = "; loading a newer version in the background" if info.refreshing else ""
        return (f"{info.articles} articles, {info.chunks} chunks, updated "
                f"{info.updated or 'unknown'} (version {info.corpus_version}){loading}")

    checks.append(_run("index", index))

    def freshness() -> str:
        if not settings.corpus_dir.is_dir():
            return f"no corpus folder at {settings.corpus_dir} (a bot-only machine)"
        indexed = {a.article_id: a for a in engine.articles()}
        updated = engine.info().updated
        if quick:  # /about: names and modification times only, no file is read
            files = discover([settings.corpus_dir])
            current = {f.stem for f in files}
            since = _timestamp(updated)
            edited = sorted(
                f.stem for f in files if f.stem in indexed and f.stat().st_mtime >= since + 1
            )
        else:  # read like an ingest would: an edit is a changed fingerprint, whatever mtime says
            articles, _, _ = load_corpus(
                [settings.corpus_dir], settings.max_article_bytes, indexed=indexed.keys()
            )
            current = {a.article_id for a in articles}
            edited = sorted(
                a.article_id for a in articles
                if a.article_id in indexed and indexed[a.article_id].fingerprint != a.fingerprint
            )
        stale = [
            (sorted(current - indexed.keys()), "not indexed"),
            (edited, "edited since the last ingest"),
            (sorted(indexed.keys() - current), "deleted but still indexed"),
        ]
        problems = [f"{len(ids)} {what} (e.g. {ids[0]})" for ids, what in stale if ids]
        if problems:
            raise TalentbotError(
                f"corpus files: {', '.join(problems)}: run `talentbot ingest`"
            )
        return f"all {len(current)} corpus articles indexed and current; index {updated}"

    checks.append(_run("freshness", freshness, required=False))

    def organisations() -> str:
        from index.organisations import curation_status

        status = curation_status(settings.organisations_file)
        if not status.ok:
            raise TalentbotError(status.detail)
        return status.detail

    checks.append(_run("organisations", organisations, required=False))

    def llm() -> str:
        answerer = engine.llm
        if answerer is None:
            return "off (LLM_PROVIDER=none): extractive answers"
        return probe_llm(answerer.settings) + f"; breaker {answerer.breaker_state}"

    checks.append(_run("llm", llm, required=False))
    return checks


def _timestamp(iso: str | None) -> float:
    """Seconds since the epoch of the index's update time; 0 when unknown."""
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(iso).timestamp() if iso else 0.0
    except ValueError:
        return 0.0


def probe_llm(settings: Any) -> str:
    """Whether the endpoint answers its model list (no tokens spent, key never shown)."""
    import httpx

    base = str(settings.base_url).rstrip("/")
    url = f"{base}/models" if settings.provider == "openai" else f"{base}/api/tags"
    headers = {}
    if settings.api_key is not None:
        headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
    try:
        response = httpx.get(url, headers=headers, timeout=min(5.0, settings.timeout_s))
    except httpx.HTTPError as exc:
        raise TalentbotError(
            f"{settings.provider} endpoint unreachable ({type(exc).__name__}); answers fall "
            "back to the extractive answerer"
        ) from None
    if response.status_code >= 400:
        raise TalentbotError(
            f"{settings.provider} endpoint answered HTTP {response.status_code}; answers fall "
            "back to the extractive answerer"
        )
    return f"{settings.provider} endpoint reachable, model {settings.model}"


# -- backup and restore -------------------------------------------------------------------
def backup(settings: EngineSettings, out: Path) -> Path:
    """A consistent archive of the embedded store and the move records (writer lock held,
    SQLite copied through its online-backup API)."""
    if settings.chroma_host:
        raise TalentbotError(
            "backup covers the embedded store; with a Chroma server, back up the server's "
            "volume (see deploy/README.md)"
        )
    if not settings.chroma_dir.is_dir():
        raise TalentbotError(f"nothing to back up: no index in {settings.data_dir}")
    from index.derived import moves_damage
    from index.store import _where, damaged_store, embedded_damage

    with writer_lock(settings.lock_path), tempfile.TemporaryDirectory() as tmp:
        problem = embedded_damage(settings)
        if problem is not None:  # a backup of it would be no better: keep the last good one
            raise damaged_store(_where(settings), problem)
        stage = Path(tmp) / BACKUP_FORMAT
        stage.mkdir()
        _copy_sqlite_tree(settings.chroma_dir, stage / "chroma")
        # Damaged move records are left out: they are derived, and rebuilt after a restore.
        if settings.moves_db.is_file() and moves_damage(settings) is None:
            _sqlite_copy(settings.moves_db, stage / "moves.sqlite3")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(stage, arcname=BACKUP_FORMAT)
        partial.replace(out)
    return out


def restore(settings: EngineSettings, archive: Path) -> None:
    """Replace the embedded store with a backup's, atomically, under the writer lock."""
    if settings.chroma_host:
        raise TalentbotError("restore targets the embedded store, not a Chroma server")
    if not archive.is_file():
        raise TalentbotError(f"{archive}: no such backup file")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with writer_lock(settings.lock_path), tempfile.TemporaryDirectory(
        dir=settings.data_dir
    ) as tmp:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(tmp, filter="data")  # refuses links and paths outside tmp
        except (tarfile.TarError, OSError) as exc:
            raise TalentbotError(f"{archive} is not a talentbot backup ({exc})") from None
        root = Path(tmp) / BACKUP_FORMAT
        if not (root / "chroma").is_dir():
            raise TalentbotError(f"{archive} is not a talentbot backup")
        old = settings.data_dir / "chroma.old"
        shutil.rmtree(old, ignore_errors=True)
        if settings.chroma_dir.exists():
            settings.chroma_dir.rename(old)
        (root / "chroma").rename(settings.chroma_dir)
        shutil.rmtree(old, ignore_errors=True)
        for suffix in ("-wal", "-shm"):
            settings.moves_db.with_name(settings.moves_db.name + suffix).unlink(missing_ok=True)
        if (root / "moves.sqlite3").is_file():
            (root / "moves.sqlite3").replace(settings.moves_db)
        else:
            settings.moves_db.unlink(missing_ok=True)
        shutil.rmtree(settings.data_dir / "keyword", ignore_errors=True)  # derived: rebuilt


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _copy_sqlite_tree(source: Path, target: Path) -> None:
    """Chroma's folder: its SQLite file through the backup API, the rest copied."""
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if path.is_dir() or path.name.endswith(("-wal", "-shm")):
            continue
        dest = target / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".sqlite3":
            _sqlite_copy(path, dest)
        else:
            shutil.copy2(path, dest)
