"""Operations: `talentbot doctor` checks, and backup / restore of the embedded store."""

from __future__ import annotations

import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import TalentbotError
from index.lock import writer_lock
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
    try:
        return Check(name, True, fn(), required)
    except TalentbotError as exc:
        return Check(name, False, str(exc), required)
    except Exception as exc:  # a check reports, it never crashes the report
        return Check(name, False, f"{type(exc).__name__}: {str(exc)[:200]}", required)


def doctor(engine: Any, token_present: bool | None, quick: bool = False) -> list[Check]:
    """Settings, token presence, model, store reachability, index health and freshness,
    move records, LLM reachability. Never prints or returns a secret."""
    from index.corpus import discover

    settings: EngineSettings = engine.settings
    checks: list[Check] = []
    if token_present is not None:
        checks.append(Check(
            "discord token", token_present,
            "DISCORD_TOKEN is set" if token_present else "DISCORD_TOKEN is not set",
            required=False,
        ))

    def model() -> str:
        from index.encoder import MODEL_DIR, verify_model_files

        if not quick:
            verify_model_files(MODEL_DIR)
        return f"{engine.encoder.model_id}, {engine.encoder.dimension} dimensions"

    checks.append(_run("embedding model", model))

    def store() -> str:
        from index.store import open_client

        client = open_client(settings)
        client.heartbeat()
        where = (f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
                 if settings.chroma_host else f"embedded store in {settings.chroma_dir}")
        return f"{where} answers"

    checks.append(_run("vector store", store))

    def index() -> str:
        info = engine.info()
        loading = "; loading a newer version in the background" if info.refreshing else ""
        return (f"{info.articles} articles, {info.chunks} chunks, updated "
                f"{info.updated or 'unknown'} (version {info.corpus_version}){loading}")

    checks.append(_run("index", index))

    def freshness() -> str:
        if not settings.corpus_dir.is_dir():
            return f"no corpus folder at {settings.corpus_dir} (a bot-only machine)"
        files = discover([settings.corpus_dir])
        newest = max((f.stat().st_mtime for f in files), default=0.0)
        indexed = {a.article_id for a in engine.articles()}
        missing = sorted({f.stem for f in files} - indexed)
        updated = engine.info().updated
        if missing:
            raise TalentbotError(
                f"{len(missing)} corpus file(s) not indexed (e.g. {missing[0]}): "
                "run `talentbot ingest`"
            )
        stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(newest)) if newest else "none"
        return f"all {len(files)} corpus files indexed; newest file {stamp} UTC, index {updated}"

    checks.append(_run("freshness", freshness, required=False))

    def moves() -> str:
        from index.moves.store import MoveStore

        if not settings.moves_db.is_file():
            return "no move records yet (written by the next ingest)"
        store = MoveStore(settings.moves_db)
        try:
            if not store.integrity_ok():
                raise TalentbotError(f"{settings.moves_db} failed SQLite's integrity check")
            return f"{len(store.moves())} records, {len(store.people())} people"
        finally:
            store.close()

    checks.append(_run("move records", moves))

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
    with writer_lock(settings.lock_path), tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / BACKUP_FORMAT
        stage.mkdir()
        _copy_sqlite_tree(settings.chroma_dir, stage / "chroma")
        if settings.moves_db.is_file():
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
