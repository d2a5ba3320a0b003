"""Secrets never leave their settings: one redaction for log lines and user messages.

Three kinds of text can carry a secret out: a log record (httpx logs every request's URL at
INFO, with `user:password@` when LLM_BASE_URL has them), an exception message (a Chroma
server or proxy that echoes the request headers puts `Authorization: Bearer …` in its error
body, which chromadb raises as the exception text), and what the faces print (the CLI's
one-line errors, `doctor`, the bot's error replies).

`redact(text)` is the one function for all of them: every configured secret (registered by
the settings classes as they load: DISCORD_TOKEN, LLM_API_KEY, CHROMA_AUTH_TOKEN, the
userinfo of LLM_BASE_URL; and the same variables read from the environment) is replaced by
`***`, and so is anything shaped like a credential whatever its value: URL userinfo,
`Authorization:` / `X-Chroma-Token:` / `api_key=` values, `Bearer …` tokens.

`install()` applies it to every log record of the process. It wraps the log-record factory
rather than adding a filter to the root logger, because a logger's filters do not see the
records its children propagate to it (httpx, chromadb, discord log on their own loggers),
and handlers added later (pytest's caplog, discord.py's) would miss a handler filter.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "***"
MIN_SECRET = 6  # shorter values would mask ordinary words; no real credential is that short
SECRET_ENV = ("DISCORD_TOKEN", "LLM_API_KEY", "CHROMA_AUTH_TOKEN", "OPENAI_API_KEY",
              "OLLAMA_API_KEY")
URL_ENV = ("LLM_BASE_URL", "CHROMA_HOST")

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_installed = False

_SHAPES = [
    # scheme://user:password@host  ->  scheme://***@host  # pragma: allowlist secret
    (re.compile(r"(?i)([a-z][a-z0-9+.\-]*://)[^/\s@]+@"), r"\1" + MASK + "@"),
    # Authorization: Bearer xyz, "x-chroma-token": "xyz", api_key=xyz
    (re.compile(
        r"(?i)((?:proxy-)?authorization|x-chroma-token|x-api-key|api[-_]?key|access[-_]token"
        r"|password|passwd|secret)(['\"]?\s*[:=]\s*['\"]?)(?:(?:bearer|basic|token)\s+)?"
        r"[^\s'\",;}&]+"),
     r"\1\2" + MASK),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]{6,}=*"), r"\1 " + MASK),
]


def register(*values: Any) -> None:
    """Remember secret values (str, pydantic SecretStr or None) so that `redact` masks them."""
    global _pattern
    added = False
    for value in values:
        if value is not None and hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        if isinstance(value, str) and len(value.strip()) >= MIN_SECRET:
            with _lock:
                if value not in _secrets:
                    _secrets.add(value)
                    added = True
    if added:
        with _lock:
            _pattern = None  # rebuilt on next use


def register_url(url: str | None) -> None:
    """Remember the credentials a URL carries (user name and password before the host)."""
    if not url or "@" not in url:
        return
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    if parts.password:
        register(parts.password, unquote(parts.password))
    if parts.username and parts.password is None:
        register(parts.username, unquote(parts.username))  # a token as the user name
    userinfo = parts.netloc.rpartition("@")[0]
    register(userinfo)


def _from_environment() -> None:
    for name in SECRET_ENV:
        register(os.environ.get(name))
    for name in URL_ENV:
        register_url(os.environ.get(name))


def _compiled() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern is None and _secrets:
            ordered = sorted(_secrets, key=len, reverse=True)  # longest first
            _pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return _pattern


def redact(text: str) -> str:
    """`text` with every known secret and every credential-shaped value masked."""
    if not text:
        return text
    _from_environment()
    pattern = _compiled()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for shape, replacement in _SHAPES:
        text = shape.sub(replacement, text)
    return text


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it in its own way
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        # The traceback's exception messages can hold secrets too: format it now, masked;
        # every Formatter uses a record's exc_text when it is set.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install() -> None:
    """Mask secrets in every log record of this process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
