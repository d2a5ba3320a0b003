"""Open-world move extraction (issue 14), phenomenon by phenomenon, in French and English,
on sentences with invented people and organisations that no list holds."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from index.corpus import Article
from index.moves import rules as R
from index.moves.extract import extract_moves
from index.moves.recognise import discover
from index.moves.score import GoldMove, agrees, matches, score_moves
from index.organisations import curation_status, load_organisations, load_outlets, resolve
from index.types import Move

NO_FILE = Path("/nonexistent/organisations.yaml")  # built-in organisations only


def moves(text: str, title: str = "Titre", published: str | None = "2025-03-01") -> list[Move]:
    article = Article("t", title, text, published=published)
    return extract_moves(article, load_organisations(NO_FILE), load_outlets(NO_FILE))


def routes(text: str, **kwargs: Any) -> set[tuple[str, str | None, str | None]]:
    return {(m.person, m.from_org, m.to_org) for m in moves(text, **kwargs)}


def found(text: str) -> set[str]:
    return {o.name for o in discover(text, R.build_lexicon((), ()))}


# --- organisations no list holds ----------------------------------------------------------


@pytest.mark.parametrize(("text", "names"), [
    ("Maëlle Ardent a rejoint la start-up Lumenfeld.", {"Lumenfeld"}),
    ("La start-up parisienne Lumenfeld a recruté Jules Ferrand.", {"Lumenfeld"}),
    ("Il a passé dix ans chez Brisemer.", {"Brisemer"}),
    ("Elle était directrice technique de Tessaly.", {"Tessaly"}),
    ("Tomas Reyes joined Quillwork AI in May.", {"Quillwork AI"}),
    ("Corvane, the speech-synthesis startup, raised money.", {"Corvane"}),
    ("Corvane's chief executive spoke on Monday.", {"Corvane"}),
    ("Halcyon Robotics was founded in 2021 by two engineers.", {"Halcyon Robotics"}),
    ("She spent five years at Boston Dynamics.", {"Boston Dynamics"}),
])
def test_organisations_are_read_from_the_text(text: str, names: set[str]) -> None:
    assert found(text) == names


@pytest.mark.parametrize("text", [
    "Il a rencontré Jules Ferrand à Paris en janvier.",
    "She moved to London in May.",
    "Tomas Reyes said on Monday that he was happy.",
    "Ada Brightwell is a co-founder of Petra Solvang's company.",
])
def test_people_places_and_owners_are_not_organisations(text: str) -> None:
    assert found(text) == set()


def test_variants_of_one_name_are_one_organisation() -> None:
    text = ("Tomas Reyes has joined Quillwork AI. Quillwork's chief scientist, Ada Brightwell, "
            "left Lumenfeld Labs for Quillwork last year.")
    assert {m.to_org for m in moves(text)} == {"Quillwork AI"}
    assert ("Ada Brightwell", "Lumenfeld Labs", "Quillwork AI") in routes(text)


def test_a_surname_is_not_an_organisation_named_after_it() -> None:
    text = ("Petra Solvang has left Lumenfeld. Solvang will now focus on her new fund, "
            "Solvang Ventures.")
    assert found(text) >= {"Solvang Ventures", "Lumenfeld"}
    assert ("Petra Solvang", "Lumenfeld", None) in routes(text)


def test_built_in_organisations_know_their_names_without_any_file() -> None:
    known = load_organisations(NO_FILE)
    assert resolve("Facebook", known).name == "Meta" and resolve("FAIR", known).name == "Meta"
    assert resolve("DeepMind", known).name == "Google"
    assert resolve("Microsoft AI", known).name == "Microsoft"
    assert resolve("SSI", known).name == "Safe Superintelligence"
    assert resolve("Inflection", known).name == "Inflection AI"
    assert ("Jules Ferrand", "Meta", "Quillwork AI") in routes(
        "Jules Ferrand a quitté la maison mère de Facebook pour rejoindre Quillwork AI.")


def test_curation_is_layered_over_the_built_in_list() -> None:
    curated = load_organisations(Path(__file__).resolve().parents[2] / "corpus"
                                 / "organisations.yaml")
    google = resolve("Google", curated)
    assert google.name == "Google DeepMind"  # the curated name wins
    assert resolve("Google Research", curated) == google  # the built-in names stay
    assert resolve("Perplexity", curated).name == "Perplexity"  # built-in only


def test_a_missing_or_unreadable_curation_file_is_reported(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "organisations.yaml"
    bad.write_text("organisations: [unclosed", encoding="utf-8")
    with caplog.at_level(logging.INFO):
        missing, broken = curation_status(tmp_path / "none.yaml"), curation_status(bad)
    assert not missing.ok and "built-in organisations only" in missing.detail
    assert not broken.ok and "unreadable" in broken.detail
    # Both are logged; only the broken file is a warning (no file is a normal set-up).
    assert any("none.yaml" in r.getMessage() and r.levelno == logging.INFO
               for r in caplog.records)
    assert any("unreadable" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)
    assert load_organisations(bad)  # never an empty result: the built-in list remains


# --- moves across sentences ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "route"), [
    ("Tomas Reyes a quitté Brisemer en mai. L'ingénieur a rejoint Lumenfeld en juin.",
     ("Tomas Reyes", "Brisemer", "Lumenfeld")),
    ("Tomas Reyes left Brisemer in May. He joined Lumenfeld Labs a month later.",
     ("Tomas Reyes", "Brisemer", "Lumenfeld Labs")),
    ("Veridian Labs a annoncé la nomination de Maëlle Ardent. La chercheuse quitte Nvidia.",
     ("Maëlle Ardent", "Nvidia", "Veridian Labs")),
    ("Ada Brightwell has left Meta after eight years. Her switch to Corvane surprised many.",
     ("Ada Brightwell", "Meta", "Corvane")),
    ("Chez Tessaly, elle remplace Oskar Lind. Ce dernier a quitté l'entreprise pour "
     "rejoindre Anthropic.", ("Oskar Lind", "Tessaly", "Anthropic")),
])
def test_pronouns_and_epithets_complete_a_move(text: str, route: tuple[str, ...]) -> None:
    assert route in routes(text)


@pytest.mark.parametrize(("text", "route"), [
    ("La start-up Lumenfeld lève 20 millions. Elle a débauché Jules Ferrand, jusqu'ici "
     "ingénieur chez Mistral AI.", ("Jules Ferrand", "Mistral AI", "Lumenfeld")),
    ("Quillwork AI raised $90 million. The startup has also brought on Grace Obi, "
     "previously a product manager at Amazon.", ("Grace Obi", "Amazon", "Quillwork AI")),
])
def test_the_startup_is_the_organisation_in_view(text: str, route: tuple[str, ...]) -> None:
    assert route in routes(text)


# --- kinds of moves -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "route"), [
    ("Elif Demir has left Anthropic to found Halcyon Robotics.",
     ("Elif Demir", "Anthropic", "Halcyon Robotics")),
    ("Yann Morel s'en va pour créer sa propre start-up.", ("Yann Morel", "Lumenfeld", None)),
    ("Noah Hale is returning to OpenAI after a year at Corvane.",
     ("Noah Hale", "Corvane", "OpenAI")),
    ("Chez Lumenfeld, Ada Brightwell, cofondatrice de Tessaly, en a été nommée directrice "
     "générale.", ("Ada Brightwell", "Tessaly", "Lumenfeld")),
    ("Microsoft has struck a licensing deal with Corvane, and Corvane's chief executive, "
     "Tobias Renn, is joining Microsoft.", ("Tobias Renn", "Corvane", "Microsoft")),
    ("Daria Kova, a longtime member of OpenAI's safety team, announced that she was leaving "
     "the company.", ("Daria Kova", "OpenAI", None)),
    ("Gaspard Imbe, ancien chercheur de Mistral AI, a quitté l'entreprise en février.",
     ("Gaspard Imbe", "Mistral AI", None)),
])
def test_kinds_of_moves(text: str, route: tuple[str, ...]) -> None:
    # A departure that names no origin leaves the article's company (its title's).
    assert route in routes(text, title="La start-up Lumenfeld perd un chercheur")


@pytest.mark.parametrize(("text", "expected"), [
    ("Elif Demir co-founded Halcyon Robotics with Marcus Oye, formerly an engineer at SpaceX, "
     "and with Jun Tak.", {("Elif Demir", None, "Halcyon Robotics"),
                          ("Marcus Oye", "SpaceX", "Halcyon Robotics"),
                          ("Jun Tak", None, "Halcyon Robotics")}),
    ("Hélène Morv a cofondé la start-up Tessaly avec Antoine Rue en 2021.",
     {("Hélène Morv", None, "Tessaly"), ("Antoine Rue", None, "Tessaly")}),
])
def test_co_founders_named_with_the_founder(text: str, expected: set[tuple[str, ...]]) -> None:
    assert routes(text) == expected


@pytest.mark.parametrize(("text", "route"), [
    ("Tomas Reyes, who spent six years at Corvane, will lead Quillwork AI's new team.",
     ("Tomas Reyes", "Corvane", "Quillwork AI")),
    ("Corvane's chief executive, Tobias Renn, and its chief technology officer, Ines Halv, "
     "are joining Microsoft.", ("Tobias Renn", "Corvane", "Microsoft")),
    ("Corvane's chief executive, Tobias Renn, and its chief technology officer, Ines Halv, "
     "are joining Microsoft.", ("Ines Halv", "Corvane", "Microsoft")),
])
def test_arrivals_told_with_a_description(text: str, route: tuple[str, ...]) -> None:
    assert route in routes(text)


def test_a_source_and_a_duration_are_not_moves() -> None:
    # "Selon X," names a source; "N ans passés chez Y" is where the hire came from.
    assert routes("Selon Siècle Net, Omar Lopa a été recruté par Arcax Compute après 11 ans "
                  "passés chez Polaex Research.") == {
        ("Omar Lopa", "Polaex Research", "Arcax Compute")}
    assert routes("According to Tech Ledger, Ana Ruiz was hired by Quillwork AI after five "
                  "years spent at Corvane.") == {("Ana Ruiz", "Corvane", "Quillwork AI")}


@pytest.mark.parametrize(("text", "route"), [
    ("Jules Ferrand is leaving Corvane. Prior to joining Corvane in 2023, he was at Apple.",
     ("Jules Ferrand", "Apple", "Corvane")),
    ("Avant de rejoindre Lumenfeld, Ada Brightwell a passé dix ans chez Criteo.",
     ("Ada Brightwell", "Criteo", "Lumenfeld")),
    ("Lumenfeld a débauché Clémence Varl. Arrivée chez Mistral AI en 2023 après un passage "
     "chez Nvidia, l'ingénieure dirigera la technique.", ("Clémence Varl", "Nvidia", "Mistral AI")),
    ("Recruited by Quillwork AI from Corvane in 2024, Ana Ruiz now leads its team.",
     ("Ana Ruiz", "Corvane", "Quillwork AI")),
])
def test_where_someone_was_before_joining(text: str, route: tuple[str, ...]) -> None:
    assert route in routes(text)


def test_a_career_chain_gives_one_record_per_step() -> None:
    text = ("Maëlle Ardent a d'abord travaillé chez Google. Elle a ensuite rejoint Apple en "
            "2020, avant d'être recrutée par Nvidia en 2023.")
    assert {("Maëlle Ardent", "Google", "Apple"), ("Maëlle Ardent", "Apple", "Nvidia")} <= (
        routes(text))
    dates = {(m.from_org, m.to_org): m.date for m in moves(text)}
    assert dates[("Google", "Apple")] == "2020" and dates[("Apple", "Nvidia")] == "2023"


@pytest.mark.parametrize(("text", "route"), [
    ("Chez Veridian Labs, la start-up fondée à Lyon par l'ancien d'Amazon Karim Benh, "
     "tout change.", ("Karim Benh", "Amazon", "Veridian Labs")),
    ("Corvane, the startup founded by Tobias Renn, a former Apple engineer, is hiring.",
     ("Tobias Renn", "Apple", "Corvane")),
])
def test_the_startup_in_apposition_is_the_one_just_named(
        text: str, route: tuple[str, ...]) -> None:
    assert route in routes(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Noah Hale is returning to OpenAI. The researcher left in March to start his own "
     "venture, Ferrolux, which never shipped.",
     {("Noah Hale", "OpenAI", "Ferrolux"), ("Noah Hale", "Ferrolux", "OpenAI")}),
    ("Lina Ferr revient chez Mistral AI. L'ingénieure avait quitté Mistral AI en 2023 pour "
     "créer sa propre start-up, Brisal, qui a fermé.",
     {("Lina Ferr", "Mistral AI", "Brisal"), ("Lina Ferr", "Brisal", "Mistral AI")}),
])
def test_a_return_comes_from_where_the_person_went(
        text: str, expected: set[tuple[str, ...]]) -> None:
    assert routes(text) == expected


def test_a_pluperfect_founding_is_before_the_story() -> None:
    text = ("Hélène Morv a rejoint Meta lundi. L'ingénieure avait cofondé la start-up Tessaly "
            "en 2021.")
    assert ("Hélène Morv", None, "Tessaly") in routes(text)  # not from Meta, where she is now


def test_a_list_of_departures_gives_each_person_the_move() -> None:
    text = ("Six cofondateurs ont quitté Lumenfeld. Les départs, dans l'ordre :\n"
            "- 2024 : Jules Ferrand, parti rejoindre OpenAI ;\n"
            "- février 2025 : Lise Oran ;\n"
            "- août 2025 : Karim Benh, cap sur le capital-risque.")
    assert routes(text) == {("Jules Ferrand", "Lumenfeld", "OpenAI"),
                            ("Lise Oran", "Lumenfeld", None), ("Karim Benh", "Lumenfeld", None)}
    dates = {m.person: m.date for m in moves(text)}
    assert dates == {"Jules Ferrand": "2024", "Lise Oran": "2025-02", "Karim Benh": "2025-08"}


@pytest.mark.parametrize("text", [
    "Selon plusieurs sources, Aurélien Maz pourrait créer une filiale à Londres.",
    "People close to Ravi Meno say he could join a startup, but he has given no sign.",
    "Ravi Meno, chief scientist at Lumenfeld, criticised Quillwork AI's approach on Monday.",
    "Anthropic has invested a small amount in Halcyon Robotics's seed round.",
    "Quillwork AI is hiring engineers in London and Toronto.",
    "The hires come shortly after Tom Bray, who runs Corvane, accused Meta of poaching.",
])
def test_what_is_not_a_move_gives_no_record(text: str) -> None:
    assert moves(text) == []


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "date"), [
    ("Oskar Lind a quitté Tessaly le mois dernier pour rejoindre Anthropic.", "2025-02"),
    ("Oskar Lind left Tessaly last year to join Anthropic.", "2024"),
    ("Oskar Lind joined Anthropic from Tessaly earlier this month.", "2025-03"),
    ("Oskar Lind a rejoint Anthropic hier.", "2025-02-28"),
])
def test_relative_dates_are_resolved_against_the_article(text: str, date: str) -> None:
    (move,) = moves(text)
    assert (move.date, move.date_source) == (date, "relative")


# --- scoring ------------------------------------------------------------------------------


def test_scoring_judges_contradictions_not_open_sides() -> None:
    gold = [GoldMove.parse(["Ada Brightwell", "Meta", "Corvane"]), GoldMove.parse(
        {"person": "Jules Ferrand", "from": None, "to": "Lumenfeld"})]

    def move(person: str, origin: str | None, to: str | None) -> Move:
        return Move(person, origin, to, "joined", "a", "s", 0)

    open_side, wrong = move("Ada Brightwell", "Meta", None), move("Ada Brightwell", "Meta", "X")
    assert agrees(gold[0], open_side) and not matches(gold[0], open_side)
    assert not agrees(gold[0], wrong)
    result = score_moves(gold, [open_side, wrong, move("Jules Ferrand", "Tessaly", "Lumenfeld"),
                                move("Someone Else", "A", "B")])
    assert (result.found, result.gold, result.right, result.records) == (1, 2, 2, 3)
    assert result.missed == ["Ada Brightwell: Meta -> Corvane (records: Meta -> ?; Meta -> X)"]
    assert score_moves(gold, [move("Someone Else", "A", "B")], complete=True).records == 1
