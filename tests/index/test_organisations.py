"""The organisation lists follow their file: an edit is read at once, in the same process,
and the move records are stamped with the version of the list they were extracted with."""

from __future__ import annotations

from pathlib import Path

from support.settings import make_settings

from index.moves.sync import rules_version
from index.organisations import curation_digest, curation_status, load_organisations


def names(path: Path) -> set[str]:
    return {o.name for o in load_organisations(path)}


def test_an_edited_curation_file_is_read_again_in_the_same_process(tmp_path: Path) -> None:
    path = tmp_path / "organisations.yaml"
    path.write_text("organisations:\n  - name: Quillwork AI\n", encoding="utf-8")
    first, digest = names(path), curation_digest(path)
    assert "Quillwork AI" in first and curation_status(path).ok
    path.write_text("organisations:\n  - name: Lumenfeld Robotics\n", encoding="utf-8")
    second = names(path)
    assert "Lumenfeld Robotics" in second and "Quillwork AI" not in second
    assert curation_digest(path) != digest
    path.unlink()
    assert "Lumenfeld Robotics" not in names(path) and not curation_status(path).ok


def test_the_rules_version_changes_with_the_list_it_extracts_with(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    orgs = settings.organisations_file
    orgs.parent.mkdir(parents=True, exist_ok=True)
    orgs.write_text("organisations:\n  - name: Quillwork AI\n", encoding="utf-8")
    before = rules_version(settings)
    orgs.write_text("organisations:\n  - name: Quillwork AI\n    aliases: [Quillwork]\n",
                    encoding="utf-8")
    assert rules_version(settings) != before
    assert any("Quillwork" in o.aliases for o in load_organisations(orgs))
