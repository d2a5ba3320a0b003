"""Retrieval across French and English with the default (multilingual USE) encoder, its
offline guarantee, and the refusal of an index built with another model.

The articles and questions (tests/data/crosslingual/) are invented: French questions on
English articles, English questions on French ones, and paraphrases that share no content
word with the sentence that answers them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from support.settings import ROOT, make_settings

from index.encoder import MINILM_MODEL, USE_MODEL, UseEncoder, load_encoder
from index.engine import Engine
from index.errors import IndexMismatchError
from index.ingest import ingest
from index.keyword import KeywordIndex
from index.retrieve import HybridRetriever
from index.settings import EngineSettings
from index.store import ChunkStore

DATA = ROOT / "tests" / "data" / "crosslingual"
QUESTIONS = yaml.safe_load((DATA / "questions.yaml").read_text(encoding="utf-8"))["questions"]


@pytest.fixture(scope="module")
def crosslingual(tmp_path_factory: pytest.TempPathFactory) -> EngineSettings:
    """The invented articles beside the seeds (as distractors), indexed once."""
    work = tmp_path_factory.mktemp("xling")
    corpus = work / "corpus" / "articles"
    shutil.copytree(ROOT / "corpus" / "articles", corpus)
    for path in (DATA / "articles").glob("*.md"):
        shutil.copy(path, corpus / path.name)
    settings = make_settings(work, corpus)
    ingest(settings)
    return settings


def first_articles(retriever: HybridRetriever, question: str, n: int = 3) -> list[str]:
    seen: list[str] = []
    for hit in retriever.retrieve(question):
        if hit.chunk.article_id not in seen:
            seen.append(hit.chunk.article_id)
    return seen[:n]


def retriever(settings: EngineSettings, keyword_weight: float | None = None) -> HybridRetriever:
    encoder = load_encoder()
    store = ChunkStore.open(settings, encoder.model_id, encoder.dimension, create=False)
    keyword = KeywordIndex.from_store(store)
    if keyword_weight is None:
        return HybridRetriever(store, keyword, encoder, top_k=30)
    return HybridRetriever(store, keyword, encoder, top_k=30, keyword_weight=keyword_weight)


def language(article_id: str) -> str:
    text = (DATA / "articles" / f"{article_id}.md").read_text(encoding="utf-8")
    return "fr" if 'language: "fr"' in text else "en"


@pytest.mark.parametrize(
    ("asked_in", "question", "gold"),
    [
        ("fr", "Quelle spécialiste des voix de synthèse a changé d'employeur ?",
         "x01_quillwork_ardent"),
        ("fr", "Quels ingénieurs en conception de puces ont été débauchés par un concurrent ?",
         "x03_tessaline_calderix"),
        ("en", "Why did Norvane's technical director leave?", "x02_norvane_vantrelle"),
        ("en", "Who will lead AI safety work at Calderix?", "x06_calderix_barrault"),
    ],
)
def test_dense_side_alone_crosses_languages(
    crosslingual: EngineSettings, asked_in: str, question: str, gold: str
) -> None:
    assert language(gold) != asked_in
    dense = retriever(crosslingual, keyword_weight=0.0)
    assert gold in first_articles(dense, question, 3)


def test_hybrid_finds_the_article_across_languages_and_paraphrase(
    crosslingual: EngineSettings,
) -> None:
    hybrid = retriever(crosslingual)
    missed = [q["q"] for q in QUESTIONS
              if not set(q["gold"]) & set(first_articles(hybrid, q["q"]))]
    # Measured 16 of 18 in the first three (tools/bench_dense.py); MiniLM's hybrid got 14.
    assert len(missed) <= 2, missed


def test_engine_answers_a_french_question_from_an_english_article(
    crosslingual: EngineSettings,
) -> None:
    answer = Engine(crosslingual, llm=False).ask(
        "Quels ingénieurs en conception de puces ont été débauchés par un concurrent ?"
    )
    assert "x03_tessaline_calderix" in {c.article_id for c in answer.citations[:3]}


def test_loads_and_embeds_with_no_network_and_no_torch(tmp_path: Path) -> None:
    """A fresh process with every socket refused and the hubs told to stay offline loads the
    default encoder and embeds: its weights and tokenizer come from the installed package."""
    script = textwrap.dedent("""
        import socket, sys

        def refuse(*args, **kwargs):
            raise OSError("network used while loading the encoder")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from index.encoder import load_encoder
        encoder = load_encoder()
        vector = encoder.embed_query("Qui a rejoint Quillwork AI ?")
        assert len(vector) == encoder.dimension == 512
        heavy = sorted({"torch", "tensorflow", "onnxruntime", "transformers"} & set(sys.modules))
        print("ok", encoder.model_id, heavy)
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"ok {USE_MODEL}/") and done.stdout.rstrip().endswith("[]")
    # Nothing was written beside it either (no cache of downloaded files).
    assert not any(tmp_path.iterdir())


def test_index_built_with_minilm_asks_for_a_rebuild(tmp_path: Path) -> None:
    old = make_settings(tmp_path, embed_model=MINILM_MODEL)
    (old.corpus_dir / "a.md").write_text(
        "---\ntitle: A\nlanguage: fr\n---\nMaëlle Ardent a rejoint Quillwork AI.\n",
        encoding="utf-8",
    )
    ingest(old)
    now = make_settings(tmp_path)  # the default model
    with pytest.raises(IndexMismatchError) as refused:
        Engine(now, llm=False).ask("Qui a rejoint Quillwork AI ?")
    message = str(refused.value)
    assert MINILM_MODEL in message and UseEncoder().model_id in message
    assert "talentbot ingest --rebuild" in message
    with pytest.raises(IndexMismatchError):
        ingest(now)  # nor does an ingest mix the two models' vectors
    assert ingest(now, rebuild=True).articles_added == 1
    answer = Engine(now, llm=False).ask("Qui a rejoint Quillwork AI ?")
    assert [c.article_id for c in answer.citations][:1] == ["a"]
