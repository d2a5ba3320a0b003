"""Reading the article folder: one file per article, Markdown with front matter or text.

A bad file never stops the others: `load_corpus` returns the articles it could read and
the files it skipped, each with its reason. A file's size is checked on the open file
before a byte is read, and no more than the limit is ever read. No symbolic link is ever
followed: a link could bring any file of the host (a `.env`, /etc/passwd) into answers.

HTML inside an article (.md or .txt) means what a browser would show: `sanitize_html`
keeps the visible text and drops scripts, styles, comments and hidden elements, so text a
reader of the page never sees cannot be indexed or quoted. The article body *is* the
sanitised text, so quotes stay exact slices of it. No pattern here can backtrack over what
it already matched (no two alternatives match the same text, no unbounded run is followed
by something that may fail), so reading a file takes time linear in its size.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import html
import logging
import os
import re
import stat
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusFileError
from index.types import SkippedFile

log = logging.getLogger(__name__)
ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")
_ID = re.compile(r"^[\w.-]{1,120}$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
# "date" is what most people write by hand; "published" wins when both are given.
_DATE_KEYS = ("published", "date")
MAX_FRONT_MATTER_CHARS = 64_000
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


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


@dataclass(frozen=True)
class CorpusFile:
    """A file found for the corpus. It is opened from `root` one folder at a time, never
    through a symbolic link; `refused` says why it will not be read (a link found)."""

    path: Path
    root: Path
    refused: str | None = None


# A link in the corpus folder could point anywhere (a `.env`, /etc/passwd): none is followed.
LINK_REFUSED = "a symbolic link: links are not followed (one could expose any file on the host)"
FOLDER_LINK_REFUSED = "a symbolic link to a folder: links are not followed"


def _is_article_name(name: str) -> bool:
    return (
        Path(name).suffix.lower() in ARTICLE_SUFFIXES
        and not name.startswith(".") and name.lower() != "readme.md"
    )


def find_files(paths: Iterable[Path]) -> list[CorpusFile]:
    """Article files under the given files or folders, sorted for a stable order, with the
    links found among them (refused, never followed). A folder named here may itself be a
    link (the operator chose it); nothing inside it is followed."""
    found: dict[Path, CorpusFile] = {}
    for path in paths:
        if path.is_dir():
            found.update((f.path, f) for f in _walk(path))
        elif path.is_symlink():
            found[path] = CorpusFile(path, path.parent, LINK_REFUSED)
        elif path.is_file():
            found[path] = CorpusFile(path, path.parent)
        elif path.exists():
            raise CorpusFileError(f"{path}: not a file or folder")
        else:
            raise CorpusFileError(f"{path}: no such file or folder")
    return [found[p] for p in sorted(found)]


def _walk(root: Path) -> Iterator[CorpusFile]:
    """Files under `root` without descending into linked folders (os.walk-like, by hand so
    that links are reported rather than silently skipped)."""
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            yield CorpusFile(folder, root, f"cannot read folder ({exc.strerror})")
            continue
        for entry in listed:
            path = Path(entry.path)
            if entry.is_symlink():
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():  # follows the link, only to say what it points to
                    yield CorpusFile(path, root, FOLDER_LINK_REFUSED)
                elif _is_article_name(entry.name):
                    yield CorpusFile(path, root, LINK_REFUSED)
            elif entry.is_dir(follow_symlinks=False):
                folders.append(path)
            elif entry.is_file(follow_symlinks=False) and _is_article_name(entry.name):
                yield CorpusFile(path, root)


def discover(paths: Iterable[Path]) -> list[Path]:
    """The article files that will be read (links left out), sorted."""
    return [f.path for f in find_files(paths) if f.refused is None]


def read_article(path: Path, max_bytes: int, root: Path | None = None) -> Article:
    """Parse one file; raise CorpusFileError with a reason a maintainer can act on.

    The file is opened from `root` (default: its own folder) without following a link in
    any part of the path below `root`."""
    article_id = path.stem
    if not _ID.match(article_id):
        raise CorpusFileError("file name is not a usable article id (letters, digits, . _ -)")
    raw = _read_bounded(path, max_bytes, root or path.parent)
    if raw.startswith(_UTF16_BOMS):
        raise CorpusFileError("UTF-16 text: save the file as UTF-8")
    if b"\x00" in raw:
        raise CorpusFileError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusFileError(f"not valid UTF-8 (byte {exc.start})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if path.suffix.lower() == ".txt":
        return _from_text(article_id, sanitize_html(text), path)
    return _from_markdown(article_id, text, path)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _open_below(path: Path, root: Path, flags: int) -> int:
    """`path` opened from `root` one component at a time with O_NOFOLLOW, so a link
    anywhere below `root` (even one swapped in after the folder was listed) is refused."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        root, parts = path.parent, (path.name,)
    if os.open not in os.supports_dir_fd or not _NOFOLLOW:  # not POSIX: check, then open
        inside = os.path.realpath(root)
        if path.is_symlink() or os.path.commonpath([os.path.realpath(path), inside]) != inside:
            raise CorpusFileError(LINK_REFUSED)
        return os.open(path, flags)
    folder = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=folder)
            os.close(folder)
            folder = inner
        return os.open(parts[-1], flags | _NOFOLLOW, dir_fd=folder)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # what O_NOFOLLOW says of a link
            raise CorpusFileError(LINK_REFUSED) from None
        raise
    finally:
        os.close(folder)


def _read_bounded(path: Path, max_bytes: int, root: Path) -> bytes:
    """The file's bytes; its size is checked on the open file before anything is read, and
    at most `max_bytes + 1` bytes are read (a file growing meanwhile is refused too)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC
    fd = _open_below(path, root, flags)  # non-blocking: a FIFO swapped in cannot hang it
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CorpusFileError("not a regular file")
        if info.st_size == 0:
            raise CorpusFileError("empty file")
        if info.st_size > max_bytes:
            raise CorpusFileError(
                f"file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit"
            )
        parts: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            part = os.read(fd, min(left, 1 << 20))
            if not part:
                break
            parts.append(part)
            left -= len(part)
    finally:
        os.close(fd)
    raw = b"".join(parts)
    if len(raw) > max_bytes:
        raise CorpusFileError(f"file grew over the {max_bytes:,}-byte limit while read")
    if not raw:
        raise CorpusFileError("empty file")
    return raw


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

    from index.safeyaml import YamlRefusedError, reason, safe_load

    match = _FRONT_MATTER.match(text)
    if text.startswith("---") and not match:
        raise CorpusFileError("front matter is not closed by a '---' line")
    meta: dict[str, object] = {}
    body = text
    if match:
        if len(match.group(1)) > MAX_FRONT_MATTER_CHARS:
            raise CorpusFileError(
                f"front matter is over {MAX_FRONT_MATTER_CHARS:,} characters"
            )
        try:
            loaded = safe_load(match.group(1), max_chars=MAX_FRONT_MATTER_CHARS) or {}
        except YamlRefusedError as exc:
            raise CorpusFileError(f"front matter refused: {reason(exc)}") from None
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            # ValueError: a date such as 2024-02-30.
            raise CorpusFileError(f"front matter is not valid YAML ({reason(exc)})") from None
        if not isinstance(loaded, dict):
            raise CorpusFileError("front matter must be a mapping of keys to values")
        meta = {str(k): v for k, v in loaded.items()}
        body = text[match.end():]
    body = sanitize_html(strip_link_definitions(body)).strip("\n")
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
    text = str(value)
    if key == "title":  # shown with every citation: markup in it is an HTML leftover
        text = sanitize_html(text)
    text = " ".join(text.split())
    return text or None


def _date_field(meta: dict[str, object]) -> str | None:
    key = next((k for k in _DATE_KEYS if meta.get(k) is not None), None)
    if key is None:
        return None
    value = meta[key]
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str | int | float):
        # Never str() an arbitrary structure: a mapping or list is refused, not printed.
        raise CorpusFileError(f"front matter '{key}' must be a date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise CorpusFileError(
            f"front matter '{key}' is not an ISO date (YYYY-MM-DD): {str(value)[:40]!r}"
        ) from None


def _url_field(meta: dict[str, object]) -> str | None:
    url = _text_field(meta, "url")
    if url is not None and not re.match(r"^https?://[^\s<>\"]+$", url):
        raise CorpusFileError("front matter 'url' must be an http(s) address")
    return url


# -- HTML in articles ------------------------------------------------------------------
# Elements whose text a browser never shows. The raw-text ones (script, style, ...) end only
# at their own end tag; the others end at their matching end tag, nesting counted.
_RAW_HIDDEN = frozenset({"script", "style", "iframe", "noembed", "noframes", "noscript", "title"})
_HIDDEN_ELEMENTS = frozenset({
    "template", "head", "datalist", "object", "audio", "video", "canvas", "math", "svg",
})
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})
# Where a browser starts a new line: the text on either side must not run together.
_BREAKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
_HIDDEN_CLASSES = frozenset({
    "hidden", "d-none", "sr-only", "visually-hidden", "visuallyhidden", "invisible",
    "screen-reader-text", "hide",
})
# A tag is read the way a browser's tokenizer reads it (no length limits, which markup
# could overflow to slip past): from "<" and a letter to the first ">" outside a quoted
# attribute value. Each character is looked at a bounded number of times, whatever the input.
_MARKUP_START = re.compile(r"<[A-Za-z/!?]")
_TAG_NAME = re.compile(r"[A-Za-z][^\s/>]*")
# Everything up to the tag's ">": runs of other characters, or "=" and its value, where a
# quoted value may hold ">" and, left open, runs to the end. No alternative can fail after
# a long scan, so the match is linear.
_TAG_BODY = re.compile(
    r"(?:[^>=]+|=[ \t\n\f]*(?:\"[^\"]*\"?|'[^']*'?)?)*"
)
# A quoted value may run to the end: no alternative ever fails after a long scan.
_ATTR = re.compile(r"([^\s/>=][^\s/>=]*)(?:[ \t\n\f]*=[ \t\n\f]*(\"[^\"]*\"?|'[^']*'?|[^\s>]*))?")
# CSS declarations that make text invisible (matched on CSS lower-cased, comments removed
# and escapes decoded). Each "\s*" is followed by a character it cannot match.
_HIDDEN_STYLE = re.compile(
    r"(?:^|[;\s])(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)"
    r"|(?:font-size|opacity|max-height|max-width)\s*:\s*0(?:\.0+)?[a-z%]{0,4}\s*"
    r"(?:!important\s*)?(?:;|$)|(?:left|top|text-indent)\s*:\s*-\d{3,}"
    r"|color\s*:\s*transparent|transform\s*:\s*scale\(\s*0\s*\)"
    r"|clip\s*:\s*rect\(\s*0|clip-path\s*:\s*inset\(\s*50%)"
)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\f]?|(.))", re.DOTALL)
_CSS_CLASS = re.compile(r"\.(-?[_a-z][\w-]*)")
_CSS_ID = re.compile(r"#(-?[_a-z][\w-]*)")
_STYLE_START = re.compile(r"<style(?=[\s/>])", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_RAW_END = {name: re.compile(rf"</{name}(?=[\s/>])", re.IGNORECASE) for name in _RAW_HIDDEN}
_BLANK_RUN = re.compile(r"\n{3,}")
# A Markdown link reference definition: never rendered, the usual "[//]: # (comment)".
_LINK_DEFINITION = re.compile(
    r"^ {0,3}\[(?:[^\]\\\n]|\\.){1,999}\]:[ \t]*(?:<[^<>\n]*>|\S+)"
    r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*(?:\n|\Z)",
    re.MULTILINE,
)


def sanitize_html(text: str) -> str:
    """The text a browser would show for `text`: tags removed, entities decoded; scripts,
    styles, comments and hidden elements dropped with their content. A tag, comment or
    hidden element left open hides the rest, as it would on the page; a "<" that cannot
    start markup ("a < b", "<3") is text. Text without markup comes back unchanged."""
    if "<" not in text and "&" not in text:
        return text
    hiding = _stylesheet_hiding(text)
    out: list[str] = []
    stack: list[str] = []
    open_count: dict[str, int] = {}
    hidden_from: int | None = None  # depth of the outermost hidden element
    markup = False
    pos, size = 0, len(text)
    while pos < size:
        found = _MARKUP_START.search(text, pos)
        lt = size if found is None else found.start()
        if hidden_from is None and lt > pos:
            out.append(_unescape(text[pos:lt]))
        if found is None:
            break
        markup = True
        nxt = text[lt + 1]
        if nxt == "!" or nxt == "?":
            if text.startswith("<!--", lt):
                pos = _comment_end(text, lt)
            else:  # a declaration, CDATA or processing instruction: never shown
                close = text.find(">", lt + 2)
                pos = size if close < 0 else close + 1
            continue
        if nxt == "/":
            name_match = _TAG_NAME.match(text, lt + 2)
            if name_match is None:  # "</>" is dropped; "</ x>" is a bogus comment
                close = text.find(">", lt + 2)
                pos = size if close < 0 else close + 1
                continue
            name = name_match.group().lower()
            pos, _ = _tag_end(text, name_match.end())
            if open_count.get(name):  # else a stray end tag, ignored as browsers do
                while True:
                    top = stack.pop()
                    open_count[top] -= 1
                    if top == name:
                        break
                if hidden_from is not None and len(stack) <= hidden_from:
                    hidden_from = None
            if hidden_from is None and name in _BREAKS:
                out.append("\n")
            continue
        name_match = _TAG_NAME.match(text, lt + 1)
        assert name_match is not None  # _MARKUP_START saw a letter
        name = name_match.group().lower()
        pos, attributes = _tag_end(text, name_match.end())
        if name in _RAW_HIDDEN:  # its text runs to its own end tag, markup or not
            close_match = _RAW_END[name].search(text, pos)
            pos = size if close_match is None else _tag_end(text, close_match.end())[0]
            continue
        if name not in _VOID:
            stack.append(name)
            open_count[name] = open_count.get(name, 0) + 1
            if hidden_from is None and _is_hidden(name, attributes, hiding):
                hidden_from = len(stack) - 1
        if hidden_from is None and name in _BREAKS:
            out.append("\n")
    result = "".join(out)
    if markup:
        lines = (line.rstrip(" \t") for line in result.split("\n"))
        result = _BLANK_RUN.sub("\n\n", "\n".join(lines))
    return result


def _tag_end(text: str, pos: int) -> tuple[int, str]:
    """After a tag's name: where the tag ends (past its ">", or the end of the text when
    it never closes) and its attribute text. Quotes count only around attribute values."""
    body = _TAG_BODY.match(text, pos)
    end = body.end() if body else pos
    if end < len(text):  # stopped on the ">"
        return end + 1, text[pos:end]
    return end, text[pos:end]


def _comment_end(text: str, start: int) -> int:
    """Where the comment opened at `start` ends; an unclosed comment hides the rest."""
    body = start + 4
    if text.startswith(">", body):
        return body + 1  # <!--> is an empty comment
    if text.startswith("->", body):
        return body + 2
    close = text.find("-->", body)
    return len(text) if close < 0 else close + 3


def _is_hidden(name: str, attributes: str, hiding: tuple[set[str], set[str]]) -> bool:
    if name in _HIDDEN_ELEMENTS:
        return True
    attrs: dict[str, str] = {}
    for match in _ATTR.finditer(attributes):
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:].removesuffix(value[0])
        attrs.setdefault(match.group(1).lower(), html.unescape(value))
    if name == "dialog" and "open" not in attrs:
        return True
    if "hidden" in attrs:
        return True
    if "style" in attrs and _HIDDEN_STYLE.search(_css(attrs["style"])):
        return True
    hidden_classes, hidden_ids = hiding
    classes = set(attrs.get("class", "").lower().split())
    if classes & _HIDDEN_CLASSES or classes & hidden_classes:
        return True
    return attrs.get("id", "").lower() in hidden_ids


def _stylesheet_hiding(text: str) -> tuple[set[str], set[str]]:
    """Classes and ids that the document's own <style> elements hide. Any rule that hides
    counts, whatever the rest of its selector (hiding too much is the safe mistake)."""
    classes: set[str] = set()
    ids: set[str] = set()
    pos = 0
    while (found := _STYLE_START.search(text, pos)) is not None:
        start, _ = _tag_end(text, found.end())
        close = _RAW_END["style"].search(text, start)
        end = len(text) if close is None else close.start()
        for block in _css(text[start:end]).split("}"):
            selector, brace, declarations = block.rpartition("{")
            if brace and _HIDDEN_STYLE.search(declarations.strip()):
                classes.update(_CSS_CLASS.findall(selector))
                ids.update(_CSS_ID.findall(selector))
        pos = end if close is None else close.end()
    return classes, ids


def _css(text: str) -> str:
    """CSS as a browser reads it: comments removed, escapes decoded, lower-cased."""
    if "/*" in text:
        parts, pos = [], 0
        while (start := text.find("/*", pos)) >= 0:
            parts.append(text[pos:start])
            end = text.find("*/", start + 2)
            pos = len(text) if end < 0 else end + 2
        parts.append(text[pos:])
        text = " ".join(parts)
    if "\\" in text:
        text = _CSS_ESCAPE.sub(_css_char, text)
    return text.lower()


def _css_char(match: re.Match[str]) -> str:
    if match.group(1) is None:
        return match.group(2)
    code = int(match.group(1), 16)
    return "\ufffd" if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF else chr(code)


def _unescape(text: str) -> str:
    """Decode character references that end with ';' (as Markdown does); others stay."""
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def strip_link_definitions(text: str) -> str:
    """Markdown link reference definitions are never rendered: drop them."""
    if "]:" not in text:
        return text
    return _LINK_DEFINITION.sub("", text)


def load_corpus(
    paths: Iterable[Path] | Sequence[CorpusFile],
    max_bytes: int,
    indexed: Collection[str] = (),
) -> tuple[list[Article], list[SkippedFile], list[SkippedFile]]:
    """Articles, skipped files and duplicates (same text as another article).

    `paths` are files or folders, or what `find_files` found in them. Of two files with the
    same text the one already `indexed` (article ids) stays, whatever their names' order:
    a new copy must not take an article over (nor its url); else the first in order."""
    items = list(paths)
    found = (
        [f for f in items if isinstance(f, CorpusFile)]
        if items and all(isinstance(f, CorpusFile) for f in items)
        else find_files(p for p in items if isinstance(p, Path))
    )
    articles: list[Article] = []
    skipped: list[SkippedFile] = []
    duplicates: list[SkippedFile] = []
    by_id: dict[str, str] = {}
    by_hash: dict[str, int] = {}  # content hash -> position in `articles`
    for item in found:
        path = item.path
        if item.refused is not None:
            skipped.append(SkippedFile(str(path), item.refused))
            continue
        try:
            article = read_article(path, max_bytes, item.root)
        except CorpusFileError as exc:
            skipped.append(SkippedFile(str(path), str(exc)))
            continue
        except OSError as exc:
            skipped.append(SkippedFile(str(path), f"cannot read file ({exc.strerror})"))
            continue
        except Exception as exc:  # a bad file never stops the others, even through a bug
            log.exception("unexpected error reading %s", path)
            skipped.append(SkippedFile(str(path), f"could not be read ({type(exc).__name__})"))
            continue
        if article.article_id in by_id:
            skipped.append(SkippedFile(
                str(path), f"article id '{article.article_id}' is also {by_id[article.article_id]}"
            ))
            continue
        by_id[article.article_id] = str(path)
        position = by_hash.get(article.content_hash)
        if position is None:
            by_hash[article.content_hash] = len(articles)
            articles.append(article)
            continue
        kept = articles[position]
        if article.article_id in indexed and kept.article_id not in indexed:
            articles[position], article = article, kept  # the indexed one keeps its place
        duplicates.append(SkippedFile(
            article.path,
            f"same text as article '{articles[position].article_id}' ({articles[position].path})",
        ))
    return articles, skipped, duplicates
