"""Index versions: a snapshot is one version, whole, whatever the loader switches later."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from conftest import make_settings

from index.engine import Engine
from index.organisations import load_organisations


def write(corpus: Path, article_id: str, text: str) -> None:
    (corpus / f"{article_id}.md").write_text(
        f"---\ntitle: {article_id}\npublished: 2025-03-01\n---\n{text}\n", encoding="utf-8"
    )


def test_a_snapshot_keeps_its_version_while_a_newer_one_is_switched_in(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    corpus = settings.corpus_dir
    (corpus.parent / "organisations.yaml").write_text(
        "organisations:\n  - name: Quillwork AI\n  - name: Lumenfeld\n  - name: Orvane Labs\n",
        encoding="utf-8",
    )
    write(corpus, "a", "Maëlle Ardent a quitté Lumenfeld pour rejoindre Quillwork AI.")
    engine = Engine(settings, llm=False)
    engine.ingest()
    before = engine.snapshot()
    known = load_organisations(settings.organisations_file)
    assert set(before.companies(known)) == {"Quillwork AI", "Lumenfeld"}
    assert engine.info().corpus_version == before.version

    write(corpus, "b", "Tancrède Vollmar a quitté Quillwork AI pour rejoindre Orvane Labs.")
    engine.ingest()  # in this data dir: the next question switches at once
    after = engine.snapshot()
    assert after.version != before.version
    assert engine.info().corpus_version == after.version
    assert "Orvane Labs" in engine.companies() and "Orvane Labs" in after.companies(known)
    # The earlier snapshot still answers as its own version did, start to end.
    assert before.keyword.search("Vollmar", 5) == []
    assert after.keyword.search("Vollmar", 5)
    assert "Orvane Labs" not in before.companies(known)
    with pytest.raises(FrozenInstanceError):
        before.version = after.version  # type: ignore[misc]
