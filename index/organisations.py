"""Organisation names: canonical names, aliases, parts and epithets. A built-in list of
well-known AI organisations ships with the code (index/data/organisations.yaml); a corpus's
own organisations.yaml is curation layered over it. Organisations in neither are found in
the articles themselves (index/moves/recognise.py)."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from index.text import fold

DEFAULT_FILE = Path("corpus/organisations.yaml")


@dataclass(frozen=True)
class Organisation:
    name: str
    aliases: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    epithets: tuple[str, ...] = ()
    products: tuple[str, ...] = ()  # "ChatGPT": "le créateur de ChatGPT" is OpenAI

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.parts, *self.epithets)

    @property
    def product_epithets(self) -> tuple[str, ...]:
        """The press's ways of naming the organisation by what it makes ("the maker of
        Claude", "le créateur de ChatGPT", "Gemini's developer"). Kept out of `all_names`:
        they are for reading articles, not for searching them."""
        return tuple(e for product in self.products for e in product_epithets(product))

    def pattern(self) -> re.Pattern[str]:
        """Matches any of its names as whole words in folded text."""
        names = sorted({fold(n) for n in self.all_names}, key=len, reverse=True)
        alternatives = "|".join(
            re.escape(n).replace(r"\ ", r"[\s-]+").replace("'", "['’]") for n in names
        )
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


# How news names a company by its product, in French and English ({p}: the product).
_MAKER_NOUNS_FR = ("le créateur", "la créatrice", "le concepteur", "la conceptrice",
                   "l'éditeur", "le développeur", "la maison mère", "le père", "l'inventeur")
_BEHIND_FR = ("l'entreprise", "la société", "la start-up", "la startup", "le laboratoire",
              "le labo", "la firme")
_MAKER_NOUNS_EN = ("maker", "creator", "developer", "parent", "owner")


def product_epithets(product: str) -> tuple[str, ...]:
    """Every epithet for the maker of `product`, "le créateur de Claude" to "Claude's maker"."""
    of = f"d'{product}" if product[:1].lower() in "aeiouyéh" else f"de {product}"
    out = [f"{noun} {of}" for noun in _MAKER_NOUNS_FR]
    out += [f"{noun} derrière {product}" for noun in _BEHIND_FR]
    for noun in _MAKER_NOUNS_EN:
        out += [f"the {noun} of {product}", f"the {product} {noun}", f"{product} {noun}",
                f"{product}'s {noun}"]
    out += [f"the {kind} behind {product}" for kind in ("company", "firm", "lab", "startup")]
    return tuple(out)


BUILT_IN_FILE = Path(__file__).parent / "data" / "organisations.yaml"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CurationStatus:
    """What became of a corpus's organisations file: for the log and `talentbot doctor`."""

    path: Path
    ok: bool
    detail: str


def _read(path: Path) -> dict[str, Any]:
    """The YAML mapping in `path`; ValueError (with the reason) when it is not one."""
    import yaml

    from index.safeyaml import reason, safe_load

    try:
        data = safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: unreadable ({reason(exc)})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping of organisations and outlets")
    return data


def _entries(data: dict[str, Any]) -> list[Organisation]:
    orgs = []
    for entry in data.get("organisations") or []:
        if isinstance(entry, dict) and entry.get("name"):
            orgs.append(Organisation(
                name=str(entry["name"]),
                aliases=tuple(str(a) for a in entry.get("aliases") or ()),
                parts=tuple(str(p) for p in entry.get("parts") or ()),
                epithets=tuple(str(e) for e in entry.get("epithets") or ()),
                products=tuple(str(p) for p in entry.get("products") or ()),
            ))
    return orgs


@lru_cache(maxsize=1)
def _built_in() -> dict[str, Any]:
    return _read(BUILT_IN_FILE)


def curation_digest(path: Path = DEFAULT_FILE) -> str:
    """The curation file's content hash ("none" without one): what the caches below are
    keyed by, and what the move records are stamped with (index/moves/sync.py), so an
    edited file is never read from a stale cache nor stamped with a list it did not give."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "none"


def curation_status(path: Path = DEFAULT_FILE) -> CurationStatus:
    """Whether the curation file is there and readable; a problem is logged once per
    version of the file."""
    return _curation_status(path, curation_digest(path))


@lru_cache(maxsize=8)
def _curation_status(path: Path, digest: str) -> CurationStatus:
    if not path.is_file():
        status = CurationStatus(path, False, f"no {path.name} at {path}: built-in organisations"
                                             " only")
    else:
        try:
            count = len(_entries(_read(path)))
            status = CurationStatus(path, True, f"{path}: {count} curated organisations over "
                                                f"{len(_entries(_built_in()))} built-in")
        except ValueError as exc:
            status = CurationStatus(path, False, f"{exc}: built-in organisations only")
    if not status.ok:
        # No file is a normal set-up (the built-in list applies: doctor says so); a file
        # that cannot be read is a maintainer's mistake worth a warning.
        level = logging.WARNING if path.exists() else logging.INFO
        log.log(level, "organisations: %s", status.detail)
    return status


def _curation(path: Path) -> dict[str, Any]:
    if not curation_status(path).ok:
        return {}
    try:
        return _read(path)
    except ValueError:
        return {}


def _union(canonical: str, *groups: tuple[str, ...]) -> tuple[str, ...]:
    """The names of `groups`, once each, without the canonical name."""
    seen: dict[str, str] = {}
    for group in groups:
        for name in group:
            if fold(name) != canonical:
                seen.setdefault(fold(name), name)
    return tuple(seen.values())


def _merge(base: list[Organisation], curated: list[Organisation]) -> list[Organisation]:
    """Curated entries over built-in ones: a curated entry absorbs every built-in entry
    that shares one of its names (its name stays canonical, the names are united)."""
    out = list(base)
    for org in curated:
        names = {fold(n) for n in org.all_names}
        absorbed = [b for b in out if names & {fold(n) for n in b.all_names}]
        out = [b for b in out if b not in absorbed]
        union = partial(_union, fold(org.name))
        # An absorbed entry's own name is an alias (or a part, if it was one here).
        aliases = union(org.aliases, *(b.aliases for b in absorbed),
                        tuple(b.name for b in absorbed if fold(b.name) not in
                              {fold(p) for p in org.parts}))
        parts = union(org.parts, *(b.parts for b in absorbed))
        parts = tuple(p for p in parts if fold(p) not in {fold(a) for a in aliases})
        out.append(Organisation(org.name, aliases, parts,
                                union(org.epithets, *(b.epithets for b in absorbed)),
                                union(org.products, *(b.products for b in absorbed))))
    return out


def load_organisations(path: Path = DEFAULT_FILE) -> tuple[Organisation, ...]:
    """The built-in organisations with the corpus's curation file layered over them
    (parsed once per version of the file)."""
    return _organisations(path, curation_digest(path))


@lru_cache(maxsize=4)
def _organisations(path: Path, digest: str) -> tuple[Organisation, ...]:
    return tuple(_merge(_entries(_built_in()), _entries(_curation(path))))


def load_outlets(path: Path = DEFAULT_FILE) -> tuple[str, ...]:
    """News outlets (built-in and curated): sources of news, not employers."""
    return _outlets(path, curation_digest(path))


@lru_cache(maxsize=4)
def _outlets(path: Path, digest: str) -> tuple[str, ...]:
    names: dict[str, str] = {}
    for data in (_built_in(), _curation(path)):
        for outlet in data.get("outlets") or ():
            names.setdefault(fold(str(outlet)), str(outlet))
    return tuple(names.values())


def resolve(name: str, organisations: tuple[Organisation, ...]) -> Organisation:
    """The organisation a user means by `name`; an unknown name stands for itself."""
    wanted = fold(" ".join(name.split()))
    for org in organisations:
        # A lab inside a company (FAIR in Meta) stands for the company: move records
        # are kept per company.
        if wanted in {fold(n) for n in (org.name, *org.aliases, *org.parts)}:
            return org
    return Organisation(name=" ".join(name.split()))
