"""Row 14 (hostile corpus files): links, YAML bombs, copies; row 18: doctor's freshness;
row 19: the terminal (input that is not UTF-8, escape sequences in articles).

Everything runs as an operator runs it: the real loader, the real ingest (bundled model,
embedded Chroma) and the `talentbot` command in this process.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support.settings import make_settings

from index.corpus import load_corpus
from index.engine import Engine

CANARY = "canary-token-5d41c7"
ARTICLE = (
    "---\ntitle: Lumenfeld perd une chercheuse\nurl: https://example.org/lumenfeld\n---\n"
    "Maëlle Ardent a quitté Lumenfeld pour rejoindre Quillwork AI en mars 2025.\n"
)


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            work: Path, *args: str) -> tuple[int, str, str]:
    import bot.cli

    monkeypatch.setenv("TALENTBOT_CORPUS_DIR", str(work / "corpus" / "articles"))
    monkeypatch.setenv("TALENTBOT_DATA_DIR", str(work / "data"))
    code = bot.cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_links_are_never_followed(
    reliability: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    r = reliability(14, "bad files: links never followed (file outside, file inside, folder)")
    work = tmp_path / "w"
    corpus = work / "corpus" / "articles"
    corpus.mkdir(parents=True)
    secret = work / ".env"  # the checkout's own secrets file, two folders up
    secret.write_text(f"DISCORD_TOKEN={CANARY}\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "prose.md").write_text(f"---\ntitle: Prose {CANARY}\n---\n{CANARY} a rejoint "
                                      "Quillwork AI.\n")
    (corpus / "real.md").write_text(ARTICLE, encoding="utf-8")
    (corpus / "notes.txt").symlink_to(Path("..") / ".." / ".env")
    (corpus / "prose.md").symlink_to(outside / "prose.md")
    (corpus / "alias.md").symlink_to("real.md")
    (corpus / "more").symlink_to(outside, target_is_directory=True)
    code, out, _ = run_cli(monkeypatch, capsys, work, "ingest", "--json")
    report = json.loads(out)
    refused = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    engine = Engine(make_settings(work, corpus), llm=False)
    shown = json.dumps([dataclasses.asdict(a) for a in engine.articles()], ensure_ascii=False)
    answer = json.dumps(engine.ask("Who joined Quillwork AI?").to_dict(), ensure_ascii=False)
    r.record("links planted", 4)
    r.record("links refused", sum("symbolic link" in v for v in refused.values()))
    r.record("exit code", code)
    r.record("canary in /sources data or answers", CANARY in shown + answer)
    assert code == 3
    assert set(refused) == {"notes.txt", "prose.md", "alias.md", "more"}
    assert all("not followed" in reason for reason in refused.values())
    assert [a.article_id for a in engine.articles()] == ["real"]
    assert CANARY not in shown + answer


def merge_key_bomb(levels: int) -> str:
    return "".join(
        ["a0: &a0 {k0: v}\n"]
        + [f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: v}}\n" for i in range(1, levels)]
    )


def test_yaml_bombs_are_refused_in_time(reliability: Any, tmp_path: Path) -> None:
    r = reliability(14, "bad files: YAML merge-key bombs and deep nesting refused at once")
    cases = {
        "bomb24.md": merge_key_bomb(24),
        "bomb40.md": merge_key_bomb(40),
        "deep.md": "k: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "blocks.md": "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n",
    }
    for name, front_matter in cases.items():
        (tmp_path / name).write_text(f"---\ntitle: x\n{front_matter}---\nbody\n")
    (tmp_path / "good.md").write_text(ARTICLE, encoding="utf-8")
    started = time.perf_counter()
    articles, skipped, _ = load_corpus([tmp_path], 2_000_000)
    seconds = time.perf_counter() - started
    reasons = {Path(s.path).name: s.reason for s in skipped}
    sizes = [(tmp_path / f"bomb{n}.md").stat().st_size for n in (24, 40)]
    r.record("bomb bytes (24 / 40 levels)", f"{sizes[0]} / {sizes[1]}")
    r.record("refused", f"{len(reasons)}/{len(cases)}")
    r.record("seconds for all", round(seconds, 3))
    assert set(reasons) == set(cases)
    assert all(reason.startswith("front matter refused: YAML") for reason in reasons.values())
    assert [a.article_id for a in articles] == ["good"]
    assert seconds < 1.0


def test_a_copy_never_takes_an_indexed_article_over(
    reliability: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    r = reliability(14, "bad files: a copy sorting first never takes an article over")
    work = tmp_path / "w"
    corpus = work / "corpus" / "articles"
    corpus.mkdir(parents=True)
    (corpus / "m-original.md").write_text(ARTICLE, encoding="utf-8")
    assert run_cli(monkeypatch, capsys, work, "ingest")[0] == 0
    copy = ARTICLE.replace("https://example.org/lumenfeld", "https://phish.example/login")
    (corpus / "a-copy.md").write_text(copy, encoding="utf-8")
    code, out, _ = run_cli(monkeypatch, capsys, work, "ingest")
    again, _, _ = run_cli(monkeypatch, capsys, work, "ingest")
    articles = Engine(make_settings(work, corpus), llm=False).articles()
    r.record("indexed after the copy", [a.article_id for a in articles])
    r.record("copy reported by name", "a-copy.md" in out and "m-original" in out)
    assert [(a.article_id, a.url) for a in articles] == [
        ("m-original", "https://example.org/lumenfeld")
    ]
    assert "a-copy.md" in out and "same text as article 'm-original'" in out
    assert code == 0 and again == 0
    os.unlink(corpus / "m-original.md")  # the original gone: the copy is the article now
    run_cli(monkeypatch, capsys, work, "ingest")
    assert [a.article_id for a in Engine(make_settings(work, corpus), llm=False).articles()] \
        == ["a-copy"]


def test_doctor_sees_added_edited_and_deleted_files(reliability: Any, tmp_path: Path) -> None:
    from index.ops import doctor

    r = reliability(20, "doctor: freshness sees added, edited and deleted corpus files")
    work = tmp_path / "w"
    corpus = work / "corpus" / "articles"
    corpus.mkdir(parents=True)
    for name in ("keep", "edit", "gone"):
        (corpus / f"{name}.md").write_text(ARTICLE.replace("Lumenfeld", f"Lumenfeld-{name}"),
                                           encoding="utf-8")
    engine = Engine(make_settings(work, corpus), llm=False)
    engine.ingest()

    def freshness(quick: bool) -> Any:
        return {c.name: c for c in doctor(engine, None, quick=quick)}["freshness"]

    fresh = freshness(False)
    edited = corpus / "edit.md"
    before = edited.stat()
    edited.write_text(ARTICLE.replace("mars", "avril"), encoding="utf-8")
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))  # an edit that keeps mtime
    (corpus / "gone.md").unlink()
    (corpus / "new.md").write_text(ARTICLE.replace("Ardent", "Vasseur"), encoding="utf-8")
    full = freshness(False)
    later = time.time() + 5  # an ordinary edit, seconds after the ingest (whole seconds)
    os.utime(edited, (later, later))
    quick = freshness(True)
    r.record("fresh index ok", fresh.ok)
    r.record("full check", full.detail)
    r.record("quick check (mtime)", quick.detail)
    assert fresh.ok, fresh.detail
    for check in (full, quick):
        assert not check.ok
        assert "1 not indexed (e.g. new)" in check.detail
        assert "1 edited since the last ingest (e.g. edit)" in check.detail
        assert "1 deleted but still indexed (e.g. gone)" in check.detail
    os.utime(edited)  # back to the present, before the ingest that follows
    engine.ingest()
    assert freshness(False).ok and freshness(True).ok


def test_terminal_input_and_output(reliability: Any, tmp_path: Path) -> None:
    r = reliability(19, "terminal: invalid UTF-8 input reported, escapes never printed")
    corpus = tmp_path / "corpus" / "articles"
    corpus.mkdir(parents=True)
    escapes = ["\x1b]0;owned\x07", "\x1b[2J", "\x1b[1A\x1b[2K", "\x1b]8;;https://evil.example\x07",
               "\x9b31m", "\x1bc"]
    (corpus / "trick.txt").write_text(
        f"Lumenfeld {''.join(escapes)}recrute\nMaëlle Ardent {''.join(escapes)}a rejoint "
        "Lumenfeld en 2025.\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TALENTBOT_", "DISCORD_", "LLM_", "CHROMA_"))}
    env.update(TALENTBOT_DATA_DIR=str(tmp_path / "data"), TALENTBOT_CORPUS_DIR=str(corpus))

    def cli(*args: str | bytes, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=tmp_path, env=env,
                              input=stdin, capture_output=True, timeout=120)

    assert cli("ingest").returncode == 0
    chat = cli("chat", stdin=b"Who joined Lumenfeld?\n\xff\xfe\nQui a rejoint Lumenfeld ?\n")
    company = cli("company", b"Lumen\xffeld")
    outputs = [chat, company, cli("ask", "Who joined Lumenfeld?"), cli("person", "Maëlle Ardent"),
               cli("ask", "--json", "Who joined Lumenfeld?")]
    printed = b"".join(o.stdout + o.stderr for o in outputs).decode("utf-8")
    leaked = sum(printed.count(c) for c in ("\x1b", "\x07", "\x9b"))
    tracebacks = printed.count("Traceback")
    r.record("escape sequences planted", len(escapes))
    r.record("control characters printed", leaked)
    r.record("tracebacks", tracebacks)
    r.record("chat lines answered around a bad one", chat.stdout.decode().count("Sources"))
    assert leaked == 0 and tracebacks == 0
    assert chat.returncode == 0 and company.returncode == 0
    assert "line 2 was not valid UTF-8" in chat.stderr.decode()
    assert chat.stdout.decode().count("Sources") == 2
