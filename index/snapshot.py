"""One index version as the engine answers from it: the store, the keyword side, the
retriever over both, and what is derived from them once per version (the organisations
the corpus mentions, for autocomplete; the gazetteer of known names).

A snapshot never changes after it is made: a newer version is a new snapshot, published
whole by `index/versions.py`, so a question that read one snapshot uses one version from
start to end, whatever the loader switches meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:  # the heavy modules load with the index, not with `import index.engine`
    from index.entities import Gazetteer
    from index.keyword import KeywordIndex
    from index.organisations import Organisation
    from index.retrieve import HybridRetriever
    from index.store import ChunkStore

_T = TypeVar("_T")


class _PerVersion:
    """What was computed from one version, shared by the snapshots of that version (the
    loader renews the store handle of a snapshot without changing its version)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, object] = {}

    def get(self, key: str, compute: Callable[[], _T]) -> _T:
        with self._lock:
            if key in self._values:
                return cast(_T, self._values[key])
        value = compute()  # outside the lock: two first callers may both compute, harmlessly
        with self._lock:
            return cast(_T, self._values.setdefault(key, value))


@dataclass(frozen=True, eq=False)
class Snapshot:
    """`version`: the corpus version whose keyword side (and move records) this serves.
    `store`: the newest handle on the store's collection (Chroma is live: while a newer
    version loads in the background its new chunks already show; the keyword side and
    the records stay those of `version` until the loader switches)."""

    version: str
    store: ChunkStore
    keyword: KeywordIndex
    retriever: HybridRetriever
    _derived: _PerVersion = field(default_factory=_PerVersion, repr=False)

    def with_store(self, store: ChunkStore) -> Snapshot:
        """The same version read through a fresher store handle."""
        return replace(self, store=store)

    def companies(self, known: Iterable[Organisation]) -> tuple[str, ...]:
        """Canonical names of the organisations the corpus mentions (asked on every
        keystroke of an autocomplete: computed once per version)."""
        return self._derived.get("companies", lambda: tuple(
            org.name for org in known if self.keyword.search(" ".join(org.all_names), 1)
        ))

    def gazetteer(self, build: Callable[[], Gazetteer]) -> Gazetteer:
        """Known organisations, outlets and movers: built once per version."""
        return self._derived.get("gazetteer", build)
