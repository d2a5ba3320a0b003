"""Move records derived from the vector store alone (a machine without the corpus files)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support.settings import make_settings

from index.encoder import load_encoder
from index.moves.store import MoveStore
from index.moves.sync import derive_moves
from index.store import ChunkStore
from index.types import IngestReport

MODEL_ID, DIMENSION = load_encoder().model_id, load_encoder().dimension  # the default model


def records(db: Path) -> list[str]:
    store = MoveStore(db)
    try:
        return sorted(json.dumps(m.to_dict(), sort_keys=True) for m in store.moves())
    finally:
        store.close()


def test_records_derived_from_the_store_equal_the_ingests(seed_workdir: Path,
                                                         tmp_path: Path) -> None:
    ingested = make_settings(seed_workdir, seed_workdir / "corpus" / "articles")
    store = ChunkStore.open(ingested, MODEL_ID, DIMENSION, create=False)
    # Another machine: an empty articles folder beside the same organisations file.
    corpus = tmp_path / "corpus" / "articles"
    corpus.mkdir(parents=True)
    shutil.copy(ingested.organisations_file, corpus.parent / "organisations.yaml")
    local = make_settings(tmp_path, corpus)

    articles = len(store.articles())
    assert derive_moves(local, store, IngestReport()) == articles
    assert records(local.moves_db) == records(ingested.moves_db) != []
    # Incremental: nothing changed, nothing is read again.
    assert derive_moves(local, store, IngestReport()) == 0

    # Records of an article the store no longer has (deleted by a later ingest) go.
    db = MoveStore(local.moves_db)
    try:
        db._db.execute("INSERT INTO articles VALUES ('deleted-article', 'f', 'r', 'Gone', "
                       "NULL, NULL, NULL)")
        db._db.commit()
        assert "deleted-article" in db.states()
    finally:
        db.close()
    assert derive_moves(local, store, IngestReport()) == 0
    db = MoveStore(local.moves_db)
    try:
        assert "deleted-article" not in db.states()
    finally:
        db.close()
    assert records(local.moves_db) == records(ingested.moves_db)
