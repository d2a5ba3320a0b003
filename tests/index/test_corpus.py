from pathlib import Path

import pytest

from index.corpus import load_corpus, read_article
from index.errors import CorpusFileError

LIMIT = 100_000


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def test_markdown_front_matter_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "a1.md", (
        "---\ntitle: Départ chez Meta\noutlet: Le Monde\npublished: 2024-05-17\n"
        "url: https://example.org/a\nlanguage: fr\n---\nJoelle Pineau quitte FAIR.\n"
    ))
    article = read_article(path, LIMIT)
    assert article.article_id == "a1"
    assert (article.title, article.outlet) == ("Départ chez Meta", "Le Monde")
    assert article.published == "2024-05-17"
    assert article.url == "https://example.org/a"
    assert article.body == "Joelle Pineau quitte FAIR."


def test_date_is_read_as_published_and_published_wins(tmp_path: Path) -> None:
    only_date = write(tmp_path, "d1.md", "---\ntitle: x\ndate: 2023-02-01\n---\nbody")
    both = write(
        tmp_path, "d2.md", "---\ntitle: x\ndate: 2023-02-01\npublished: 2024-05-17\n---\nbody"
    )
    assert read_article(only_date, LIMIT).published == "2023-02-01"
    assert read_article(both, LIMIT).published == "2024-05-17"
    bad = write(tmp_path, "d3.md", "---\ntitle: x\ndate: yesterday\n---\nbody")
    with pytest.raises(CorpusFileError, match="'date' is not an ISO date"):
        read_article(bad, LIMIT)


def test_text_file_first_line_is_title(tmp_path: Path) -> None:
    article = read_article(write(tmp_path, "t.txt", "Le titre\nLe texte.\nSuite."), LIMIT)
    assert article.title == "Le titre"
    assert article.body == "Le texte.\nSuite."
    assert article.published is None and article.url is None


def test_markdown_heading_is_title_without_front_matter(tmp_path: Path) -> None:
    article = read_article(write(tmp_path, "h.md", "# Heading\n\nBody text."), LIMIT)
    assert article.title == "Heading"
    assert article.body == "Body text."


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.md", "", "empty"),
        ("binary.txt", b"title\n\x00\x01\x02", "binary"),
        ("latin1.txt", "Titre\nÉté".encode("latin-1"), "UTF-8"),
        ("open.md", "---\ntitle: x\nno closing line\n", "not closed"),
        ("yaml.md", "---\ntitle: [unclosed\n---\nbody", "YAML"),
        ("list.md", "---\n- a\n- b\n---\nbody", "mapping"),
        ("date.md", "---\ntitle: x\npublished: last tuesday\n---\nbody", "ISO date"),
        ("url.md", "---\ntitle: x\nurl: javascript:alert(1)\n---\nbody", "http"),
        ("notitle.md", "---\noutlet: x\n---\nbody", "title"),
        ("nobody.md", "---\ntitle: x\n---\n\n", "no article text"),
        ("only-title.txt", "Just a title\n", "no text"),
        ("bad name!.md", "---\ntitle: x\n---\nbody", "article id"),
    ],
)
def test_bad_files_are_refused_with_a_reason(
    tmp_path: Path, name: str, data: str | bytes, reason: str
) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(CorpusFileError, match=reason):
        read_article(path, LIMIT)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "Title\n" + "x" * 2_000)
    with pytest.raises(CorpusFileError, match="limit"):
        read_article(path, 1_000)


def test_load_corpus_reports_skips_and_duplicates_and_keeps_the_rest(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: A\n---\nSame text here.")
    write(tmp_path, "b.txt", "Another title\nSame   text here.")  # same text, other spacing
    write(tmp_path, "c.md", "---\ntitle: C\n---\nOther text.")
    write(tmp_path, "d.md", b"\xff\xfe\x00")
    write(tmp_path, "notes.csv", "ignored")
    articles, skipped, duplicates = load_corpus([tmp_path], LIMIT)
    assert [a.article_id for a in articles] == ["a", "c"]
    assert [Path(s.path).name for s in skipped] == ["d.md"]
    assert [Path(d.path).name for d in duplicates] == ["b.txt"]
    assert "'a'" in duplicates[0].reason


def test_fingerprint_changes_with_metadata_but_content_hash_does_not(tmp_path: Path) -> None:
    one = read_article(write(tmp_path, "x.md", "---\ntitle: One\n---\nBody."), LIMIT)
    two = read_article(write(tmp_path, "x.md", "---\ntitle: Two\n---\nBody."), LIMIT)
    assert one.content_hash == two.content_hash
    assert one.fingerprint != two.fingerprint


def test_seed_articles_keep_their_ids_and_have_titles() -> None:
    root = Path(__file__).resolve().parents[2]
    seeds = sorted(p.stem for p in (root.parent / "shared" / "seeds").glob("*.txt"))
    articles, skipped, _ = load_corpus([root / "corpus" / "articles"], LIMIT)
    assert not skipped
    ids = [a.article_id for a in articles]
    if seeds:  # ../shared is beside the checkout in CI
        assert set(seeds) <= set(ids)
    assert all(a.title and a.language == "fr" for a in articles)
    assert all(a.url is None for a in articles)  # no article states its own address


# -- YAML: anchors, aliases, merge keys and depth are refused before any expansion ----------
def merge_key_bomb(levels: int) -> str:
    """Each level merges the one before twice: expanding it costs 2**levels."""
    lines = ["a0: &a0 {k0: v}"] + [
        f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: v}}" for i in range(1, levels)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [24, 40])
def test_merge_key_bomb_in_front_matter_is_refused_at_once(tmp_path: Path, levels: int) -> None:
    import time

    path = write(tmp_path, "bomb.md", f"---\ntitle: x\n{merge_key_bomb(levels)}---\nbody\n")
    started = time.perf_counter()
    with pytest.raises(CorpusFileError, match="front matter refused: YAML anchors"):
        read_article(path, LIMIT)
    assert time.perf_counter() - started < 1.0
    assert path.stat().st_size < 2_000  # a small file, as in the report


@pytest.mark.parametrize(
    ("front_matter", "reason"),
    [
        ("title: &t x\n", "anchors"),
        ("title: x\nother: *t\n", "aliases"),
        ("title: x\nmeta:\n  <<: {outlet: y}\n", "merge keys"),
        ("title: x\nurl: " + "[" * 500 + "]" * 500 + "\n", "nested deeper than 32"),
        ("title: x\n" + "".join("  " * i + f"k{i}:\n" for i in range(40)), "nested deeper"),
    ],
)
def test_yaml_features_we_do_not_use_are_refused(
    tmp_path: Path, front_matter: str, reason: str
) -> None:
    path = write(tmp_path, "f.md", f"---\n{front_matter}---\nbody\n")
    with pytest.raises(CorpusFileError, match=f"front matter refused: YAML {reason}"):
        read_article(path, LIMIT)


def test_maintainers_yaml_files_use_the_same_safe_loader(tmp_path: Path) -> None:
    import time

    import yaml

    from index.moves.overrides import load_overrides
    from index.organisations import curation_status, load_organisations, load_outlets

    bomb = write(tmp_path, "organisations.yaml", merge_key_bomb(40))
    started = time.perf_counter()
    with pytest.raises(yaml.YAMLError, match="not allowed"):
        load_overrides(bomb)
    # A refused curation file is reported with its reason; the built-in list still answers.
    status = curation_status(bomb)
    assert not status.ok and "not allowed" in status.detail
    built_in = load_organisations(tmp_path / "none.yaml")
    assert built_in and load_organisations(bomb) == built_in
    assert load_outlets(bomb) == load_outlets(tmp_path / "none.yaml")
    assert time.perf_counter() - started < 1.0
    plain = write(tmp_path, "orgs.yaml", "organisations:\n  - name: Quillwork AI\n")
    assert "Quillwork AI" in [o.name for o in load_organisations(plain)]


# -- links: never followed, each refused with its reason -----------------------------------
CANARY = "DISCORD_TOKEN=canary-7f3e9b1c"  # pragma: allowlist secret (a test canary)
ARTICLE = "---\ntitle: Quillwork AI recrute\n---\nMaëlle Ardent a rejoint Quillwork AI.\n"


def linked_corpus(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus folder with one real article and every kind of link; a secret outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".env").write_text(CANARY + "\n")
    (outside / "leak.md").write_text(f"---\ntitle: {CANARY}\n---\n{CANARY} est ici.\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "real.md").write_text(ARTICLE, encoding="utf-8")
    (corpus / "notes.txt").symlink_to(outside / ".env")  # a file outside
    (corpus / "alias.md").symlink_to(corpus / "real.md")  # a file inside
    (corpus / "more").symlink_to(outside, target_is_directory=True)  # a folder
    (corpus / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    return corpus, outside


def test_links_in_the_corpus_are_refused_and_never_read(tmp_path: Path) -> None:
    corpus, _ = linked_corpus(tmp_path)
    articles, skipped, duplicates = load_corpus([corpus], LIMIT)
    assert [a.article_id for a in articles] == ["real"] and not duplicates
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert set(reasons) == {"notes.txt", "alias.md", "more", "dangling.md"}
    assert all("symbolic link" in r and "not followed" in r for r in reasons.values())
    assert "folder" in reasons["more"]
    assert not any(CANARY in f"{a.title} {a.body}" for a in articles)


def test_a_link_named_on_the_command_line_is_refused(tmp_path: Path) -> None:
    corpus, _ = linked_corpus(tmp_path)
    articles, skipped, _ = load_corpus([corpus / "notes.txt"], LIMIT)
    assert not articles and "symbolic link" in skipped[0].reason
    with pytest.raises(CorpusFileError, match="symbolic link"):
        read_article(corpus / "alias.md", LIMIT)


def test_a_folder_swapped_for_a_link_after_listing_is_not_followed(tmp_path: Path) -> None:
    from index.corpus import find_files

    corpus, outside = linked_corpus(tmp_path)
    (corpus / "sub").mkdir()
    (corpus / "sub" / "leak.md").write_text(ARTICLE, encoding="utf-8")
    found = find_files([corpus])
    assert corpus / "sub" / "leak.md" in [f.path for f in found if f.refused is None]
    (corpus / "sub").rename(tmp_path / "moved")
    (corpus / "sub").symlink_to(outside, target_is_directory=True)  # outside/leak.md: canary
    articles, skipped, _ = load_corpus(found, LIMIT)
    assert [a.article_id for a in articles] == ["real"]
    assert any(Path(s.path).name == "leak.md" and "symbolic link" in s.reason for s in skipped)


def test_the_corpus_folder_itself_may_be_a_link(tmp_path: Path) -> None:
    corpus, _ = linked_corpus(tmp_path)
    (tmp_path / "via").symlink_to(corpus, target_is_directory=True)
    articles, _, _ = load_corpus([tmp_path / "via"], LIMIT)
    assert [a.article_id for a in articles] == ["real"]


# -- duplicates: a copy never takes an indexed article over --------------------------------
def test_a_copy_sorting_first_does_not_replace_the_indexed_article(tmp_path: Path) -> None:
    write(tmp_path, "b.md", "---\ntitle: B\nurl: https://example.org/b\n---\nSame text here.")
    write(tmp_path, "a.md", "---\ntitle: A\nurl: https://evil.example/a\n---\nSame text here.")
    articles, _, duplicates = load_corpus([tmp_path], LIMIT, indexed={"b"})
    assert [a.article_id for a in articles] == ["b"]
    assert [Path(d.path).name for d in duplicates] == ["a.md"]
    assert "'b'" in duplicates[0].reason and "b.md" in duplicates[0].reason
    fresh, _, _ = load_corpus([tmp_path], LIMIT)  # nothing indexed yet: the first in order
    assert [a.article_id for a in fresh] == ["a"]
