"""The `talentbot` command line, run as a user runs it: a real process, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CITATION_KEYS = {"n", "article_id", "title", "outlet", "published", "url", "quote"}


def talentbot(
    workdir: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("TALENTBOT_", "DISCORD_", "LLM_", "CHROMA_"))
    }
    env["TALENTBOT_DATA_DIR"] = str(workdir / "data")
    env["TALENTBOT_CORPUS_DIR"] = str(workdir / "corpus" / "articles")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=workdir, env=env, input=stdin, capture_output=True, text=True, timeout=120,
    )


def test_ask_json_schema(seed_workdir: Path) -> None:
    words = ["Who", "did", "Meta", "hire", "from", "OpenAI?"]
    result = talentbot(seed_workdir, "ask", "--json", *words)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # The schema only grows (issue 15 added the structured answer beside the text).
    assert set(data) == {"question", "answer", "abstained", "confidence", "mode", "citations",
                         "answer_type", "values", "follow_up_of"}
    assert data["question"] == "Who did Meta hire from OpenAI?"
    assert data["values"] and all(v["citations"] for v in data["values"])
    assert data["citations"] and set(data["citations"][0]) == CITATION_KEYS
    assert data["mode"] in ("extractive", "records") and not data["abstained"]


def test_ask_abstention_exits_zero(seed_workdir: Path) -> None:
    result = talentbot(seed_workdir, "ask", "--json", "Did Hugo Vasseur leave Meta?")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["abstained"] is True and data["citations"] == []


def test_company_json_schema_and_unknown(seed_workdir: Path) -> None:
    found = json.loads(talentbot(seed_workdir, "company", "--json", "Meta").stdout)
    assert set(found) == {
        "company", "found", "summary", "citations", "arrivals", "departures", "chart"
    }
    assert found["departures"] and set(found["departures"][0]) >= {
        "person", "from", "to", "date", "evidence", "citation"
    }
    assert found["found"] is True and found["citations"]
    unknown = json.loads(talentbot(seed_workdir, "company", "--json", "Acme", "Quantum").stdout)
    assert unknown["found"] is False and unknown["citations"] == []


def test_company_chart_is_drawn_by_the_command(seed_workdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "flows" / "meta.png"
    found = json.loads(talentbot(seed_workdir, "company", "--json", "--chart", str(out), "Meta")
                       .stdout)
    assert found["chart"] == str(out) and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = talentbot(seed_workdir, "company", "--chart", str(tmp_path / "fr.png"), "Meta")
    assert text.returncode == 0 and f"Chart: {tmp_path / 'fr.png'}" in text.stdout
    missing = tmp_path / "acme.png"
    unknown = talentbot(seed_workdir, "company", "--json", "--chart", str(missing), "Acme Quantum")
    assert json.loads(unknown.stdout)["chart"] is None and not missing.exists()


def test_text_output_lists_sources(seed_workdir: Path) -> None:
    result = talentbot(seed_workdir, "ask", "Qui a quitté Microsoft pour OpenAI ?")
    assert result.returncode == 0
    assert "Sources :" in result.stdout and "[1] " in result.stdout


def test_errors_are_one_line_without_traceback(seed_workdir: Path) -> None:
    result = talentbot(seed_workdir, "ask", "x" * 5000)
    assert result.returncode == 2
    assert result.stderr.startswith("talentbot: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_bad_setting_fails_fast_with_its_name(seed_workdir: Path) -> None:
    env_file = seed_workdir / ".env"
    env_file.write_text("TALENTBOT_TOP_K=lots\n")
    try:
        result = talentbot(seed_workdir, "ask", "Who left OpenAI?")
    finally:
        env_file.unlink()
    assert result.returncode == 2
    assert "TALENTBOT_TOP_K" in result.stderr and "Traceback" not in result.stderr


def test_chat_answers_one_question_per_line_until_end_of_input(seed_workdir: Path) -> None:
    result = talentbot(
        seed_workdir, "chat",
        stdin="Qui a quitté Microsoft pour OpenAI ?\n\nDid Hugo Vasseur leave Meta?\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Bubeck" in result.stdout
    assert "I don't find anything about Hugo Vasseur" in result.stdout


def test_ask_on_a_missing_index_builds_it_first(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus" / "articles"
    corpus.mkdir(parents=True)
    (corpus / "a.md").write_text("---\ntitle: T\n---\nLuke Metz a quitté OpenAI en 2024.\n")
    result = talentbot(tmp_path, "ask", "--json", "Did Luke Metz leave OpenAI?")
    assert result.returncode == 0, result.stderr
    assert "Building the index" in result.stderr
    assert json.loads(result.stdout)["citations"][0]["article_id"] == "a"


def test_ingest_exit_code_says_whether_files_were_skipped(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus" / "articles"
    corpus.mkdir(parents=True)
    (corpus / "a.md").write_text("---\ntitle: T\n---\nTexte.\n")
    ok = talentbot(tmp_path, "ingest")
    assert ok.returncode == 0 and "1 added" in ok.stdout
    (corpus / "bad.txt").write_bytes(b"\x00\x01")
    skipped = talentbot(tmp_path, "ingest", "--json")
    assert skipped.returncode == 3
    report = json.loads(skipped.stdout)
    assert report["embedded_chunks"] == 0
    assert report["skipped"][0]["reason"].startswith("binary")


@pytest.mark.parametrize("args", [["eval", "missing.yaml"], ["ingest", "no/such/folder"]])
def test_missing_paths_are_reported(tmp_path: Path, args: list[str]) -> None:
    result = talentbot(tmp_path, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr


# -- input that is not UTF-8, output that would drive the terminal ---------------------------
def talentbot_bytes(
    workdir: Path, *args: str | bytes, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("TALENTBOT_", "DISCORD_", "LLM_", "CHROMA_"))
    }
    env["TALENTBOT_DATA_DIR"] = str(workdir / "data")
    env["TALENTBOT_CORPUS_DIR"] = str(workdir / "corpus" / "articles")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=workdir, env=env, input=stdin, capture_output=True, timeout=120,
    )


def test_invalid_utf8_on_standard_input_is_reported_and_chat_goes_on(
    seed_workdir: Path,
) -> None:
    result = talentbot_bytes(
        seed_workdir, "chat",
        stdin=b"Qui a quitt\xc3\xa9 Microsoft pour OpenAI ?\n\xff\nWho left Meta for Mistral AI?\n",
    )
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "Traceback" not in err
    assert "line 2 was not valid UTF-8" in err
    out = result.stdout.decode()
    assert "Bubeck" in out and "Lample" in out  # the lines before and after were answered


def test_invalid_utf8_in_an_argument_is_reported_not_a_traceback(seed_workdir: Path) -> None:
    result = talentbot_bytes(seed_workdir, "company", b"Me\xffta")
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "Traceback" not in err and "not valid UTF-8" in err
    assert "Me\ufffdta" in result.stdout.decode()


TERMINAL_TRICKS = (
    "\x1b]0;owned\x07", "\x1b[2J", "\x1b[1A\x1b[2K", "\x1b]8;;https://evil.example\x1b\\",
    "\x9b31m", "\x08", "\x1bc", "\x07",
)  # (a carriage return would be read as a line break by the loader)


def assert_terminal_safe(data: bytes) -> None:
    text = data.decode("utf-8")
    controls = sorted({c for c in text if (ord(c) < 32 and c not in "\n\t")
                       or 0x7F <= ord(c) <= 0x9F})
    assert not controls, controls


def test_escape_sequences_in_articles_never_reach_the_terminal(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus" / "articles"
    corpus.mkdir(parents=True)
    tricks = "".join(TERMINAL_TRICKS)
    (corpus / "trick.txt").write_text(
        f"Lumenfeld {tricks}recrute\nMaëlle Ardent {tricks}a rejoint Lumenfeld en 2025.\n",
        encoding="utf-8",
    )
    (corpus / f"bad{TERMINAL_TRICKS[1]}name.md").write_text("---\ntitle: x\n---\nbody\n")
    ingest = talentbot_bytes(tmp_path, "ingest")
    assert ingest.returncode == 3  # the bad name is skipped, and its name printed safely
    for args in (("ask", "Who joined Lumenfeld?"), ("ask", "--json", "Who joined Lumenfeld?"),
                 ("person", "Maëlle Ardent"), ("moves",), ("ingest",)):
        result = talentbot_bytes(tmp_path, *args)
        assert_terminal_safe(result.stdout)
        assert_terminal_safe(result.stderr)
    answer = talentbot_bytes(tmp_path, "ask", "Who joined Lumenfeld?").stdout.decode()
    assert "Maëlle Ardent" in answer and "a rejoint Lumenfeld en 2025." in answer


def test_terminal_safe_removes_whole_sequences_in_linear_time() -> None:
    import time

    from bot.terminal import terminal_safe

    assert terminal_safe("a\x1b[31;1mb\x1b]0;title\x07c\x1b]8;;http://x\x1b\\d\x9b2Je\rf") \
        == "abcdef"
    assert terminal_safe("tab\tand\nnewline stay; é, 中, emoji 🙂 too") \
        == "tab\tand\nnewline stay; é, 中, emoji 🙂 too"
    assert terminal_safe("bad \udcff byte") == "bad \ufffd byte"
    started = time.perf_counter()
    for hostile in ("\x1b[" + "0" * 500_000, "\x1b]" + "x" * 500_000, "\x1b" * 500_000):
        assert "\x1b" not in terminal_safe(hostile)
    assert time.perf_counter() - started < 1.0
