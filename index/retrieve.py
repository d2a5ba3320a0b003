"""Hybrid retrieval: the keyword (BM25) side and the dense (Chroma) side, fused.

Why this fusion: scores are normalised per side (BM25 by its best score, cosine by its
spread over the candidates) and mixed with a keyword weight of KEYWORD_WEIGHT, so names
still match exactly through BM25 while the multilingual dense side carries French
questions to English articles, the reverse, and paraphrases. The weight was chosen by
tools/bench_dense.py (hit@1 / hit@3 over the seeds, realistic articles and a cross-lingual
set; table in the README): with the multilingual USE, weights 0.4-0.7 tie within one
question over the three sets, 0.6 puts the most realistic questions' articles first,
0.3 and below lose realistic ones, and reciprocal-rank fusion put fewer right articles
first. Where BM25 finds nothing (no shared words), the dense side alone decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from index.keyword import KeywordIndex
from index.store import ChunkStore, StoredChunk

KEYWORD_WEIGHT = 0.6
CANDIDATES = 30


class QueryEncoder(Protocol):
    def embed_query(self, text: str) -> list[float]: ...


@dataclass(frozen=True)
class ScoredChunk:
    chunk: StoredChunk
    score: float
    keyword: float  # normalised to [0, 1]
    dense: float  # normalised to [0, 1]


class HybridRetriever:
    """`retrieve()` is the public entry; `_retrieve()` does the work (as llama-index does)."""

    def __init__(
        self,
        store: ChunkStore,
        keyword: KeywordIndex,
        encoder: QueryEncoder,
        top_k: int = 8,
        keyword_weight: float = KEYWORD_WEIGHT,
    ) -> None:
        self._store = store
        self._keyword = keyword
        self._encoder = encoder
        self.top_k = top_k
        self.keyword_weight = keyword_weight

    def retrieve(self, query: str) -> list[ScoredChunk]:
        query = " ".join(query.split())
        if not query:
            return []
        return self._retrieve(query)

    def _retrieve(self, query: str) -> list[ScoredChunk]:
        keyword_hits = self._keyword.search(query, CANDIDATES)
        dense_hits = self._store.query(self._encoder.embed_query(query), CANDIDATES)
        kw = _normalise_max(dict(keyword_hits))
        dn = _normalise_spread(dict(dense_hits))
        weight = self.keyword_weight if kw else 0.0
        fused = {
            cid: weight * kw.get(cid, 0.0) + (1.0 - weight) * dn.get(cid, 0.0)
            for cid in set(kw) | set(dn)
        }
        ranked = sorted(fused, key=lambda cid: (-fused[cid], cid))[: self.top_k]
        chunks = {c.chunk_id: c for c in self._store.get(ranked)}
        return [
            ScoredChunk(chunks[cid], fused[cid], kw.get(cid, 0.0), dn.get(cid, 0.0))
            for cid in ranked
            if cid in chunks
        ]


def _normalise_max(scores: dict[str, float]) -> dict[str, float]:
    best = max(scores.values(), default=0.0)
    return {k: v / best for k, v in scores.items()} if best > 0 else {}


def _normalise_spread(scores: dict[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high - low < 1e-9:
        return dict.fromkeys(scores, 1.0)
    return {k: (v - low) / (high - low) for k, v in scores.items()}
