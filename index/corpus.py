"""Reading the article folder: one file per article, Markdown with front matter or text.

A bad file never stops the others: `load_corpus` returns the articles it could read and
the files it skipped, each with its reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusFileError
from index.types import SkippedFile

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")
_ID = re.compile(r"^[\w.-]{1,120}$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_KNOWN_KEYS = {"title", "outlet", "published", "url", "language"}


@dataclass(frozen=True)
class Article:
    article_id: str
    title: str
    body: str
    outlet: str | None = None
    published: str | None = None  # ISO date
    url: str | None = None
    language: str | None = None
    path: str = ""

    @property
    def content_hash(self) -> str:
        """Identity of the text: the same article under two names hashes the same."""
        normalized = " ".join(self.body.split())
        return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:32]

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything indexed (text or metadata) changes."""
        meta = "\x1f".join(
            str(x) for x in (self.title, self.outlet, self.published, self.url, self.language)
        )
        return hashlib.sha256(f"{meta}\x1e{self.body}".encode()).hexdigest()[:32]


def discover(paths: Iterable[Path]) -> list[Path]:
    """Article files under the given files or folders, sorted for a stable order."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES
                and not p.name.startswith(".") and p.name.lower() != "readme.md"
            )
        elif path.is_file():
            found.add(path)
        else:
            raise CorpusFileError(f"{path}: no such file or folder")
    return sorted(found)


def read_article(path: Path, max_bytes: int) -> Article:
    """Parse one file; raise CorpusFileError with a reason a maintainer can act on."""
    article_id = path.stem
    if not _ID.match(article_id):
        raise CorpusFileError("file name is not a usable article id (letters, digits, . _ -)")
    size = path.stat().st_size
    if size == 0:
        raise CorpusFileError("empty file")
    if size > max_bytes:
        raise CorpusFileError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise CorpusFileError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusFileError(f"not valid UTF-8 (byte {exc.start})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if path.suffix.lower() == ".txt":
        return _from_text(article_id, text, path)
    return _from_markdown(article_id, text, path)


def _from_text(article_id: str, text: str, path: Path) -> Article:
    stripped = text.lstrip()
    title, _, body = stripped.partition("\n")
    title, body = title.strip(), body.strip("\n")
    if not title:
        raise CorpusFileError("no title: the first line of a .txt article is its title")
    if not body.strip():
        raise CorpusFileError("no text after the title line")
    return Article(article_id, title, body, path=str(path))


def _from_markdown(article_id: str, text: str, path: Path) -> Article:
    import yaml

    match = _FRONT_MATTER.match(text)
    if text.startswith("---") and not match:
        raise CorpusFileError("front matter is not closed by a '---' line")
    meta: dict[str, object] = {}
    body = text
    if match:
        try:
            loaded = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "syntax error"
            raise CorpusFileError(f"front matter is not valid YAML ({first})") from None
        if not isinstance(loaded, dict):
            raise CorpusFileError("front matter must be a mapping of keys to values")
        meta = {str(k): v for k, v in loaded.items()}
        body = text[match.end():]
    body = body.strip("\n")
    title = _text_field(meta, "title")
    if title is None:
        # Markdown without a title key: a leading '# Heading' line is the title.
        first, _, rest = body.lstrip().partition("\n")
        if first.startswith("#"):
            title, body = first.lstrip("#").strip(), rest.strip("\n")
    if not title:
        raise CorpusFileError("no title (add 'title:' to the front matter)")
    if not body.strip():
        raise CorpusFileError("no article text after the front matter")
    return Article(
        article_id=article_id,
        title=title,
        body=body,
        outlet=_text_field(meta, "outlet"),
        published=_date_field(meta),
        url=_url_field(meta),
        language=_text_field(meta, "language"),
        path=str(path),
    )


def _text_field(meta: dict[str, object], key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise CorpusFileError(f"front matter '{key}' must be text")
    text = " ".join(str(value).split())
    return text or None


def _date_field(meta: dict[str, object]) -> str | None:
    value = meta.get("published")
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise CorpusFileError(
            f"front matter 'published' is not an ISO date (YYYY-MM-DD): {str(value)[:40]!r}"
        ) from None


def _url_field(meta: dict[str, object]) -> str | None:
    url = _text_field(meta, "url")
    if url is not None and not re.match(r"^https?://[^\s<>\"]+$", url):
        raise CorpusFileError("front matter 'url' must be an http(s) address")
    return url


def load_corpus(
    paths: Iterable[Path], max_bytes: int
) -> tuple[list[Article], list[SkippedFile], list[SkippedFile]]:
    """Articles, skipped files and duplicates (same text as an article read before)."""
    articles: list[Article] = []
    skipped: list[SkippedFile] = []
    duplicates: list[SkippedFile] = []
    by_id: dict[str, str] = {}
    by_hash: dict[str, str] = {}
    for path in discover(paths):
        try:
            article = read_article(path, max_bytes)
        except CorpusFileError as exc:
            skipped.append(SkippedFile(str(path), str(exc)))
            continue
        except OSError as exc:
            skipped.append(SkippedFile(str(path), f"cannot read file ({exc.strerror})"))
            continue
        if article.article_id in by_id:
            skipped.append(SkippedFile(
                str(path), f"article id '{article.article_id}' is also {by_id[article.article_id]}"
            ))
            continue
        first = by_hash.get(article.content_hash)
        if first is not None:
            duplicates.append(SkippedFile(str(path), f"same text as article '{first}'"))
            continue
        by_id[article.article_id] = str(path)
        by_hash[article.content_hash] = article.article_id
        articles.append(article)
    return articles, skipped, duplicates
