"""The open-world records as a user meets them (issue 14): a corpus folder of the user's own,
with no organisations.yaml, read by `talentbot ingest`, `eval`, `moves`, `person` and
`company` run as real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
UNSEEN = ROOT / "tests" / "data" / "move_articles_unseen"


def talentbot(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TALENTBOT_", "DISCORD_", "LLM_", "CHROMA_"))}
    env["TALENTBOT_DATA_DIR"] = str(work / "data")
    env["TALENTBOT_CORPUS_DIR"] = str(work / "mine")  # nothing beside it
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("open-world")
    shutil.copytree(UNSEEN, work / "mine")
    result = talentbot(work, "ingest")
    assert result.returncode == 0, result.stderr
    return work


def test_eval_scores_the_moves_of_a_corpus_without_an_organisations_file(work: Path) -> None:
    gold = yaml.safe_load((ROOT / "tests" / "data" / "moves_gold.yaml").read_text("utf-8"))
    moves = [[m["person"], m["from"] or "", m["to"] or ""]
             for article in gold["unseen"].values() for m in article]
    spec = work / "eval.yaml"
    spec.write_text(yaml.safe_dump({"moves": moves}, allow_unicode=True), encoding="utf-8")
    data = json.loads(talentbot(work, "eval", "--json", str(spec)).stdout)["moves"]
    assert data["gold"] == len(moves) and set(data["per_field"]) == {"person", "from", "to"}
    assert data["recall"] >= 0.6 and data["precision"] >= 0.85, data
    text = talentbot(work, "eval", str(spec)).stdout
    assert "moves        recall" in text and "  - missed " in text


def test_moves_person_and_company_show_open_world_records_with_evidence(work: Path) -> None:
    rows = json.loads(talentbot(work, "moves", "--json", "--to", "Halcyon Robotics").stdout)
    assert {r["person"] for r in rows} >= {"Elif Demirci", "Grace Mbeki"}
    for row in rows:
        assert row["evidence"] and row["citation"]["quote"] == row["evidence"]
    person = json.loads(talentbot(work, "person", "--json", "Maëlle", "Ardent").stdout)
    assert person["found"] and "Veridian Labs" in person["summary"]
    company = json.loads(talentbot(work, "company", "--json", "Quillwork", "AI").stdout)
    assert company["found"] and {a["person"] for a in company["arrivals"]} >= {
        "Anjali Ravindran", "Björn Aaltonen"}


def test_doctor_reports_the_missing_organisations_file(work: Path) -> None:
    checks = json.loads(talentbot(work, "doctor", "--json", "--quiet").stdout)
    rows = checks if isinstance(checks, list) else checks.get("checks", [])
    (org,) = [c for c in rows if c["name"] == "organisations"]
    assert not org["ok"] and "built-in organisations only" in org["detail"]
