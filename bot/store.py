"""The bot's own small store: answers it gave (so buttons and thread follow-ups work after
a restart) and users' feedback on them. SQLite, one file, one transaction per write.

User ids are never stored: feedback keeps a salted hash, the salt living in the same file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from index.types import Answer, Citation

log = logging.getLogger("talentbot.bot")
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    thread_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_thread ON answers (thread_id, created);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL REFERENCES answers (id),
    user_hash TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    created REAL NOT NULL,
    question TEXT NOT NULL,
    answer_text TEXT NOT NULL,
    cited TEXT NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
"""


def new_answer_id() -> str:
    """The id an answer's buttons carry; made before the answer is sent, stored after."""
    return secrets.token_hex(8)


class BotStore:
    """Answering never depends on it: a store that cannot be opened for writing (read-only
    or missing data dir) runs in memory until restart, and a write that fails (a full disk)
    is logged and counted in `failed_writes`, never raised to the user's question."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.failed_writes = 0
        self.in_memory = False
        self._lock = threading.Lock()
        try:
            self._db = self._open(path)
        except (sqlite3.Error, OSError) as exc:
            log.warning("cannot write the bot store %s (%s): keeping answers and feedback in "
                        "memory until restart", path, exc)
            self.failed_writes += 1
            self.in_memory = True
            self._db = self._open(None)
        row = self._db.execute("SELECT value FROM meta WHERE key='salt'").fetchone()
        self._salt = str(row[0])

    def _open(self, path: Path | None) -> sqlite3.Connection:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        try:
            if path is not None:
                db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            if db.execute("SELECT value FROM meta WHERE key='salt'").fetchone() is None:
                db.execute(
                    "INSERT INTO meta VALUES ('salt', ?), ('schema_version', ?)",
                    (secrets.token_hex(16), str(SCHEMA_VERSION)),
                )
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        # Under the lock: an answer is recorded after it is sent, so a write may still be
        # running in a worker thread when the bot stops (closing under it can crash SQLite).
        with self._lock:
            self._db.close()

    def _write(self, what: str, sql: str, values: tuple[Any, ...]) -> bool:
        try:
            with self._lock:
                self._db.execute(sql, values)
            return True
        except sqlite3.Error as exc:  # full disk, read-only file, locked: answer anyway
            self.failed_writes += 1
            log.warning("could not record %s in %s (%s); %d failed writes so far",
                        what, self.path, exc, self.failed_writes)
            return False

    def save_answer(
        self, answer: Answer, thread_id: int | None = None, answer_id: str | None = None
    ) -> bool:
        """Record an answer already sent (for its buttons and its thread's follow-ups);
        False when it could not be written."""
        payload = json.dumps(_answer_to_json(answer), ensure_ascii=False)
        return self._write(
            "an answer", "INSERT INTO answers VALUES (?, ?, ?, ?, ?)",
            (answer_id or new_answer_id(), time.time(), thread_id, answer.question, payload),
        )

    def answer(self, answer_id: str) -> Answer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT answer FROM answers WHERE id = ?", (answer_id,)
            ).fetchone()
        return _answer_from_json(json.loads(row[0])) if row else None

    def thread_questions(self, thread_id: int, limit: int = 5) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT question FROM answers WHERE thread_id = ? ORDER BY created DESC LIMIT ?",
                (thread_id, limit),
            ).fetchall()
        return [str(r[0]) for r in reversed(rows)]

    def record_feedback(self, answer_id: str, user_id: int, helpful: bool) -> bool | None:
        """Store (or change) one user's vote; False when the answer is unknown, None when
        the vote could not be written."""
        answer = self.answer(answer_id)
        if answer is None:
            return False
        user_hash = hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()
        cited = json.dumps(sorted({c.article_id for c in answer.citations}))
        written = self._write(
            "feedback",
            "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (answer_id, user_hash) DO UPDATE SET helpful = excluded.helpful, "
            "created = excluded.created",
            (answer_id, user_hash, int(helpful), time.time(), answer.question, answer.text,
             cited),
        )
        return True if written else None

    def feedback_rows(self) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._db.execute("SELECT * FROM feedback ORDER BY created")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _answer_to_json(answer: Answer) -> dict[str, Any]:
    data = answer.to_dict()
    data["language"] = answer.language
    data["citations"] = [dict(c.to_dict(), start=c.start) for c in answer.citations]
    return data


def _answer_from_json(data: dict[str, Any]) -> Answer:
    return Answer(
        question=data["question"],
        text=data["answer"],
        citations=tuple(Citation(**c) for c in data["citations"]),
        abstained=data["abstained"],
        confidence=data["confidence"],
        mode=data["mode"],
        language=data.get("language", "en"),
    )
