"""talentbot's engine: corpus, embeddings, hybrid retrieval and cited answers.

Nothing here knows Discord. Heavy imports (Chroma, llama-index, onnxruntime) happen
lazily inside the modules that need them, so importing this package is cheap.
"""

__version__ = "0.1.0"
