"""The question path's encoder: a bundled one (numpy, no llama-index), or the llama-index
adapter for a Hugging Face model named in TALENTBOT_EMBED_MODEL.

It sits above `index.encoder` and `index.embedding` so that neither imports the other's
way back (the embedding adapters are built on the encoders)."""

from __future__ import annotations

from pathlib import Path

from index.encoder import BUNDLED_MODELS, Encoder, load_encoder


def load_query_encoder(
    name: str | None = None, threads: int | None = None, cache_dir: Path | None = None
) -> Encoder:
    """A bundled encoder by name (None: the default), or for another model the llama-index
    adapter, which offers the same `model_id`, `dimension` and `embed_query`."""
    if name is None or name in BUNDLED_MODELS:
        return load_encoder(name, threads, cache_dir)
    from index.embedding import load_embedding  # llama-index: only for a non-bundled model

    encoder: Encoder = load_embedding(name, threads)
    return encoder
