"""The keyword (BM25) side: our streamed build is bm25s's own index, and it survives its
cache."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import pytest

import index.keyword
from bench.synthetic import generate_corpus
from index.corpus import load_corpus
from index.keyword import DamagedCacheError, KeywordIndex
from index.text import analyze

QUERIES = (
    "Who left Meta for Mistral AI?",
    "Qui a quitté Google DeepMind pour rejoindre Anthropic ?",
    "bonus d'arrivée",
    "alignment team OpenAI",
    "zzz-not-a-word",
)


@pytest.fixture(scope="module")
def triples(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str]]:
    folder = tmp_path_factory.mktemp("kw")
    generate_corpus(folder, 40)
    articles, _, _ = load_corpus([folder, Path(__file__).parents[2] / "corpus" / "articles"],
                                 2_000_000)
    out = []
    for article in articles:  # paragraphs stand in for chunks
        for i, para in enumerate(p for p in article.body.split("\n\n") if p.strip()):
            out.append((f"{article.article_id}:{i}", article.title, para))
    out.append(("blank", "", "  "))  # a chunk with no index terms at all
    return out


@pytest.mark.parametrize("block_pairs", [1 << 20, 700, 1])  # one block, several, a chunk each
def test_the_streamed_build_scores_like_bm25s_own_index(
    triples: list[tuple[str, str, str]], block_pairs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index.keyword, "_BLOCK_PAIRS", block_pairs)
    ours = KeywordIndex.build(triples)
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index([analyze(t) + analyze(x) or ["\x00"] for _, t, x in triples],
                    show_progress=False, create_empty_token=False)
    assert len(ours) == len(triples)
    for query in QUERIES:
        terms = analyze(query)
        mine = ours._bm25.get_scores_from_ids(ours._bm25.get_tokens_ids(terms))  # type: ignore[attr-defined]
        theirs = reference.get_scores_from_ids(reference.get_tokens_ids(terms))
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    # idf from the matrix is the textbook one, from document frequencies counted here.
    docs = [set(analyze(t) + analyze(x)) for _, t, x in triples]
    for term in ("mistral", "meta", "quitt"):
        df = sum(term in d for d in docs)
        assert df > 0
        expected = np.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
        assert ours.idf(term) == pytest.approx(expected, rel=1e-6)
    assert ours.idf("zzz") == 0.0


def test_the_cache_gives_back_the_same_index(triples: list[tuple[str, str, str]],
                                             tmp_path: Path) -> None:
    built = KeywordIndex.build(triples)
    built.save(tmp_path / "kw", "v1")
    assert KeywordIndex.cached_version(tmp_path / "kw") == "v1"
    assert KeywordIndex.load(tmp_path / "kw", "v2") is None  # another version: rebuild
    assert KeywordIndex.cached_ids(tmp_path / "kw", "v1") == built._ids
    loaded = KeywordIndex.load(tmp_path / "kw", "v1")
    assert loaded is not None and len(loaded) == len(built)
    for query in QUERIES:
        assert loaded.search(query, 10) == built.search(query, 10)


def test_a_damaged_cache_fails_its_checksum(triples: list[tuple[str, str, str]],
                                            tmp_path: Path) -> None:
    KeywordIndex.build(triples).save(tmp_path / "kw", "v1")
    KeywordIndex.verify(tmp_path / "kw")
    target = tmp_path / "kw" / "data.csc.index.npy"  # scores: a change would go unnoticed
    data = bytearray(target.read_bytes())
    data[-4:] = bytes(b ^ 0xFF for b in data[-4:])
    target.write_bytes(bytes(data))
    assert KeywordIndex.cached_version(tmp_path / "kw") == "v1"  # the head alone is intact
    with pytest.raises(DamagedCacheError, match="checksum"):
        KeywordIndex.load(tmp_path / "kw", "v1")
    assert KeywordIndex.load(tmp_path / "kw", "v2") is None  # another version: not checked


def test_an_empty_corpus_finds_nothing() -> None:
    empty = KeywordIndex.build([])
    assert len(empty) == 0 and empty.search("Meta", 5) == [] and empty.idf("meta") == 0.0
