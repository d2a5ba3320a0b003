"""Run-time code (index/, bot/) imports no PyTorch stack: the bundled model runs on
onnxruntime, and torch belongs to tools/export_model.py and the bench extra only. ruff's
banned-api says so for bot/; index/ has its own ruff table (the Discord ban), which
replaces the project's, so the rule is checked here for both."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANNED = {"torch", "sentence_transformers", "transformers"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "__import__" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def test_no_pytorch_stack_in_run_time_code() -> None:
    files = [p for d in ("index", "bot") for p in sorted((ROOT / d).rglob("*.py"))]
    assert len(files) > 30
    offenders = {str(p.relative_to(ROOT)): sorted(imported_roots(p) & BANNED) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import torch.nn\n    from transformers import x\n")
    assert imported_roots(sample) >= {"torch", "transformers"}
