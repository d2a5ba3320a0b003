"""The generated bench corpus: deterministic, of the requested size, and loadable."""

from __future__ import annotations

from pathlib import Path

from bench.synthetic import generate_article, generate_corpus
from index.corpus import load_corpus

N = 20


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_gives_the_same_files(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "a", N, seed=7)
    generate_corpus(tmp_path / "b", N, seed=7)
    generate_corpus(tmp_path / "c", N, seed=8)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a") != _files(tmp_path / "c")


def test_a_small_corpus_is_the_start_of_a_large_one(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "small", 5)
    large = _files(generate_corpus(tmp_path / "large", 8)[0].parent)
    assert _files(tmp_path / "small").items() <= large.items()


def test_n_articles_of_roughly_the_requested_length(tmp_path: Path) -> None:
    paths = generate_corpus(tmp_path, N, words=600)
    assert len(paths) == N == len(list(tmp_path.iterdir()))
    lengths = [generate_article(i, words=600).words for i in range(N)]
    assert all(400 <= n <= 800 for n in lengths)
    assert 500 <= sum(lengths) / N <= 700


def test_articles_load_without_skips_and_are_unique(tmp_path: Path) -> None:
    generate_corpus(tmp_path, N)
    articles, skipped, duplicates = load_corpus([tmp_path], 2_000_000)
    assert len(articles) == N
    assert skipped == [] and duplicates == []
    assert all(a.title and a.outlet and a.published for a in articles)
    assert {a.language for a in articles} <= {"fr", "en"}
    assert len({a.title for a in articles}) == N


def test_some_articles_are_in_english() -> None:
    languages = [generate_article(i).language for i in range(200)]
    assert 0.05 < languages.count("en") / len(languages) < 0.3
