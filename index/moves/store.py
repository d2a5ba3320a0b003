"""Move records in SQLite, in the data directory beside the text index.

One file, one transaction per article, a schema version, and the fingerprint of each
article's text so re-ingest re-extracts only what changed. Chroma stays the text index;
this is the structured side.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from index.errors import IndexMismatchError
from index.people import person_key
from index.store import sqlite_damage
from index.types import Move

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    rules TEXT NOT NULL,
    title TEXT NOT NULL,
    outlet TEXT,
    published TEXT,
    url TEXT
);
CREATE TABLE IF NOT EXISTS moves (
    id INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE,
    person TEXT NOT NULL,
    person_key TEXT NOT NULL,
    from_org TEXT,
    to_org TEXT,
    kind TEXT NOT NULL,
    role TEXT,
    date TEXT,
    date_source TEXT,
    evidence TEXT NOT NULL,
    start INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS moves_from ON moves (from_org);
CREATE INDEX IF NOT EXISTS moves_to ON moves (to_org);
CREATE INDEX IF NOT EXISTS moves_person ON moves (person_key);
"""
_COLUMNS = (
    "person", "from_org", "to_org", "kind", "article_id", "evidence", "start", "role", "date",
    "date_source", "source",
)
# Built from the constant column list above, never from input.
_INSERT = (
    f"INSERT INTO moves ({', '.join(_COLUMNS)}, person_key) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(_COLUMNS) + 1))})"
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM moves"  # noqa: S608


class MoveStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            with self._lock:
                self._db.executescript(_SCHEMA)
                found = self._meta("schema_version")
                if found is None:
                    self._db.execute(
                        "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                    )
                elif found != str(SCHEMA_VERSION):
                    raise IndexMismatchError(
                        f"{path} has move-record schema {found}; this talentbot needs "
                        f"{SCHEMA_VERSION}. Rebuild it with `talentbot ingest --rebuild`."
                    )
        except BaseException:
            self._db.close()  # a damaged file must not stay open (it is about to be replaced)
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> MoveStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @property
    def corpus_version(self) -> str | None:
        """The text index version these records were last brought in line with."""
        with self._lock:
            return self._meta("corpus_version")

    def set_corpus_version(self, version: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO meta VALUES ('corpus_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (version,),
            )

    def states(self) -> dict[str, tuple[str, str]]:
        """article id -> (fingerprint, rules version) of what was extracted."""
        with self._lock:
            rows = self._db.execute("SELECT article_id, fingerprint, rules FROM articles")
            return {str(a): (str(f), str(r)) for a, f, r in rows.fetchall()}

    def replace_article(
        self, article: Any, rules: str, moves: Sequence[Move]
    ) -> None:
        """Swap one article's records in a single transaction."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "DELETE FROM articles WHERE article_id = ?", (article.article_id,)
                )
                self._db.execute(
                    "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (article.article_id, article.fingerprint, rules, article.title,
                     article.outlet, article.published, article.url),
                )
                self._db.executemany(
                    _INSERT,
                    [(*(getattr(m, c) for c in _COLUMNS), person_key(m.person)) for m in moves],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def remove_articles(self, article_ids: Iterable[str]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "DELETE FROM articles WHERE article_id = ?", [(a,) for a in article_ids]
            )
            self._db.execute("COMMIT")

    def moves(self, where: str = "", params: Sequence[Any] = ()) -> list[Move]:
        """Records matching `where` (placeholders only; values go in `params`)."""
        sql = _SELECT
        if where:
            sql += f" WHERE {where}"
        sql += " ORDER BY COALESCE(date, '') DESC, article_id, start"
        with self._lock:
            rows = self._db.execute(sql, tuple(params)).fetchall()
        return [Move(**dict(zip(_COLUMNS, row, strict=True))) for row in rows]

    def article(self, article_id: str) -> dict[str, Any] | None:
        with self._lock:
            cursor = self._db.execute(
                "SELECT article_id, title, outlet, published, url FROM articles "
                "WHERE article_id = ?", (article_id,),
            )
            row = cursor.fetchone()
            names = [d[0] for d in cursor.description]
        return None if row is None else dict(zip(names, row, strict=True))

    def people(self) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT person, COUNT(*) FROM moves GROUP BY person_key ORDER BY person"
            ).fetchall()
        return [str(r[0]) for r in rows]

    def integrity_ok(self) -> bool:
        with self._lock:
            return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def damage(path: Path) -> str | None:
    """What is wrong with the records file at `path`, read-only: unreadable, failing
    SQLite's quick check, or another schema version. None when it is sound or absent."""
    problem = sqlite_damage(path)
    if problem is not None or not path.is_file():
        return problem
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        # Locked or read-only says nothing of the file; a missing table does.
        return str(exc) if "no such table" in str(exc) else None
    if row is None or str(row[0]) != str(SCHEMA_VERSION):
        return f"schema version {None if row is None else row[0]}, not {SCHEMA_VERSION}"
    return None
