"""Typed extraction at answer time (index/entities.py), on invented sentences."""

from __future__ import annotations

from index import entities
from index.entities import Gazetteer
from index.organisations import Organisation

GAZ = Gazetteer(
    (Organisation("Lumenfeld"), Organisation("Quillwork AI", aliases=("Quillwork",))),
    ("Le Monde",),
    ("Maëlle Ardent",),
)


def test_dates_most_precise_first() -> None:
    text = "Maëlle Ardent a quitté Quillwork le 3 février 2025, après l'avoir annoncé en 2024."
    assert entities.dates(text) == ["le 3 février 2025", "en 2024"]
    assert entities.dates("She left in May 2025, the company said last month.") == [
        "in May 2025", "last month"]


def test_dates_in_the_question_language() -> None:
    assert entities.localise_date("en août 2024", "en") == "August 2024"
    assert entities.localise_date("le 3 février 2025", "en") == "3 February 2025"
    assert entities.localise_date("May 29, 2025", "fr") == "29 mai 2025"
    assert entities.localise_date("Le mois dernier", "fr") == "le mois dernier"
    assert entities.localise_date("d'ici la fin de l'année", "en").endswith("the end of the year")


def test_numbers_are_counts_and_amounts_not_days() -> None:
    text = ("Du 6 au 10 février 2025, neuf ingénieurs sont partis; Lumenfeld a offert "
            "40 millions de dollars.")
    values = entities.numbers(text)
    assert "neuf" in [v.split()[0] for v in values]
    assert any(v.startswith("40 millions de dollars") for v in values)
    assert not any(v in ("6", "10", "2025") for v in values)
    assert entities.number_value("douze") == entities.number_value("twelve") == 12


def test_people_organisations_roles_and_reasons() -> None:
    text = ("Selon Le Monde, Lumenfeld a débauché Maëlle Ardent et Tobias Quenneville, "
            "ancien professeur à l'université de Grenoble.")
    assert entities.people_in(text, GAZ) == ["Maëlle Ardent", "Tobias Quenneville"]
    orgs = entities.organisations_and_names(text, GAZ)
    assert "Lumenfeld" in orgs and "université de Grenoble" in orgs
    assert "Le Monde" not in orgs  # an outlet only when asked about reporting
    assert "Le Monde" in entities.organisations_and_names(text, GAZ, outlets=True)
    assert entities.roles("Oskar Brandt, vice-président de la recherche chez Lumenfeld, a parlé.")[
        0].startswith("vice-président de la recherche")
    assert entities.reasons("Ines Varga est partie pour se consacrer à la recherche.") == [
        "pour se consacrer à la recherche"]


def test_looser_dates_counts_and_titles_still_answer() -> None:
    assert entities.dates("Oskar Brandt arrivera au printemps, après un départ en juin.") == [
        "au printemps", "en juin"]
    assert entities.numbers("Lumenfeld a recruté une dizaine d'ingénieurs.") == ["dizaine"]
    assert entities.roles("Ines Varga, research scientist at Lumenfeld, declined.")[0].startswith(
        "research scientist")


def test_the_number_of_sources_is_never_a_value_and_sums_carry_a_currency() -> None:
    english = ("Quillwork AI raised a $12 million round and will hire 25 engineers, "
               "according to three people familiar with the matter.")
    assert entities.numbers(english) == ["$12 million", "25"]
    assert entities.amounts(english) == ["$12 million"]
    french = "Selon deux sources proches du dossier, Lumenfeld a levé 30 millions d'euros."
    assert entities.numbers(french) == ["30 millions"]
    assert entities.amounts(french) == ["30 millions"]
    assert entities.amounts("Deux personnes ont parlé, et 14 chercheurs sont partis.") == []


def test_a_cause_comes_before_a_destination_among_reasons() -> None:
    french = ("Tobias Quenneville a quitté Lumenfeld pour rejoindre Quillwork AI ; son départ "
              "fait suite à un désaccord avec le conseil sur la stratégie.")
    found = entities.reasons(french)
    assert "désaccord" in found[0] and entities.weak_reason(found[-1])
    english = "Ines Varga stepped down after two years of mounting losses at Lumenfeld."
    assert entities.reasons(english) == ["after two years of mounting losses at Lumenfeld"]


def test_the_noun_phrase_around_a_head_noun() -> None:
    from index.lexicon import translations
    from index.text import analyze

    terms = frozenset(analyze("approach")) | translations("approach")
    assert entities.noun_phrase(
        "Lumenfeld défend une approche fondée sur la simulation, qui réduit les coûts.", terms
    ) == "une approche fondée sur la simulation"
    assert entities.noun_phrase(
        "Quillwork AI champions a data-first approach to speech models.", terms
    ) == "a data-first approach to speech models"
    assert entities.noun_phrase("Quillwork AI hired twelve engineers.", terms) is None


def test_tens_in_words_are_numbers() -> None:
    assert "quarante" in entities.numbers("Lumenfeld compte embaucher quarante chercheurs.")
    assert entities.number_value("forty") == 40 and entities.number_value("Quarante") == 40
