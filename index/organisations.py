"""Organisation names: canonical names, aliases and parts, from a maintainers' YAML file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.text import fold

DEFAULT_FILE = Path("corpus/organisations.yaml")


@dataclass(frozen=True)
class Organisation:
    name: str
    aliases: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    epithets: tuple[str, ...] = ()

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.parts, *self.epithets)

    def pattern(self) -> re.Pattern[str]:
        """Matches any of its names as whole words in folded text."""
        names = sorted({fold(n) for n in self.all_names}, key=len, reverse=True)
        alternatives = "|".join(
            re.escape(n).replace(r"\ ", r"[\s-]+").replace("'", "['’]") for n in names
        )
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


@lru_cache(maxsize=4)
def load_organisations(path: Path = DEFAULT_FILE) -> tuple[Organisation, ...]:
    from index.safeyaml import safe_load

    if not path.is_file():
        return ()
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    orgs = []
    for entry in data.get("organisations", []):
        if isinstance(entry, dict) and entry.get("name"):
            orgs.append(Organisation(
                name=str(entry["name"]),
                aliases=tuple(str(a) for a in entry.get("aliases") or ()),
                parts=tuple(str(p) for p in entry.get("parts") or ()),
                epithets=tuple(str(e) for e in entry.get("epithets") or ()),
            ))
    return tuple(orgs)


@lru_cache(maxsize=4)
def load_outlets(path: Path = DEFAULT_FILE) -> tuple[str, ...]:
    """News outlets named in the file: sources of news, not employers."""
    from index.safeyaml import safe_load

    if not path.is_file():
        return ()
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(str(o) for o in data.get("outlets") or ())


def resolve(name: str, organisations: tuple[Organisation, ...]) -> Organisation:
    """The organisation a user means by `name`; an unknown name stands for itself."""
    wanted = fold(" ".join(name.split()))
    for org in organisations:
        # A lab inside a company (FAIR in Meta) stands for the company: move records
        # are kept per company.
        if wanted in {fold(n) for n in (org.name, *org.aliases, *org.parts)}:
            return org
    return Organisation(name=" ".join(name.split()))
