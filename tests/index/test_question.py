"""Question understanding (index/question.py): invented questions, paraphrased in both
languages, read into one typed reading."""

from __future__ import annotations

import pytest

from index.organisations import Organisation
from index.question import question_parts, understand

ORGS = (
    Organisation("Lumenfeld"),
    Organisation("Quillwork AI", aliases=("Quillwork",)),
    Organisation("Brightmoor Labs", aliases=("Brightmoor",)),
)


@pytest.mark.parametrize(
    ("question", "relation"),
    [
        ("Who did Lumenfeld poach from Quillwork AI?", "poached"),
        ("Which researchers did Lumenfeld lure away from Quillwork?", "poached"),
        ("Who brought Tobias Quenneville on board?", "poached"),
        ("Qui Lumenfeld a-t-il débauché chez Quillwork AI ?", "poached"),
        ("Who joined Brightmoor Labs?", "joined"),
        ("Qui a rejoint Brightmoor Labs ?", "joined"),
        ("Qui est parti chez Brightmoor ?", "joined"),
        ("Who left Quillwork AI?", "left"),
        ("Qui a quitté Quillwork AI ?", "left"),
        ("Which engineers did Brightmoor Labs recruit?", "hired"),
        ("Qui Lumenfeld a-t-il embauché ?", "hired"),
        ("Who founded Brightmoor Labs?", "founded"),
        ("Qui a cofondé Brightmoor Labs ?", "founded"),
        ("Who replaced Maëlle Ardent at Lumenfeld?", "replaced"),
        ("Qui a remplacé Maëlle Ardent ?", "replaced"),
    ],
)
def test_every_way_of_saying_a_move_maps_to_one_relation(question: str, relation: str) -> None:
    assert understand(question, ORGS).relation == relation


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("When did Maëlle Ardent leave Quillwork AI?", "date"),
        ("Quand Maëlle Ardent a-t-elle quitté Quillwork AI ?", "date"),
        ("In which year did Oskar Brandt join Lumenfeld?", "date"),
        ("En quelle année Oskar Brandt a-t-il rejoint Lumenfeld ?", "date"),
        ("How many researchers did Lumenfeld hire?", "number"),
        ("Combien Lumenfeld a-t-il offert en primes ?", "number"),
        ("Why did Ines Varga leave?", "reason"),
        ("Pourquoi Ines Varga est-elle partie ?", "reason"),
        ("What position does Maëlle Ardent hold at Brightmoor Labs?", "role"),
        ("Quel poste Maëlle Ardent occupe-t-elle chez Brightmoor Labs ?", "role"),
        ("Where does Maëlle Ardent work now?", "organisation"),
        ("Où travaille Maëlle Ardent aujourd'hui ?", "organisation"),
        ("Which company did Oskar Brandt leave?", "organisation"),
        ("Quelle start-up Maëlle Ardent a-t-elle rejointe ?", "organisation"),
        ("Who brought Tobias Quenneville on board?", "organisation"),
        ("Which researchers did Lumenfeld poach?", "people"),
        ("Quels chercheurs Lumenfeld a-t-il débauchés ?", "people"),
        ("Name the three people Lumenfeld hired.", "people"),
        ("Who heads reasoning at Lumenfeld?", "person"),
        ("Qui dirige l'équipe de raisonnement de Lumenfeld ?", "person"),
        ("Who is Oskar Brandt?", "role"),
        ("Qui est Maëlle Ardent ?", "role"),
    ],
)
def test_expected_answer_type(question: str, answer_type: str) -> None:
    assert understand(question, ORGS).answer_type == answer_type


def test_names_people_organisations_and_time() -> None:
    reading = understand("Who did Brightmoor Labs hire from Lumenfeld in 2025?", ORGS)
    assert reading.organisations == ("Brightmoor Labs", "Lumenfeld")  # the question's order
    assert reading.people == () and reading.year == "2025"
    person = understand("Where is Maëlle Ardent now?", ORGS)
    assert person.people == ("Maëlle Ardent",) and person.now and not person.first
    bounded = understand("How many researchers had left Lumenfeld by March 2025?", ORGS)
    assert bounded.year is None and bounded.until == "2025"
    assert understand("Qui a quitté Lumenfeld avant 2025 ?", ORGS).until == "2025"
    first = understand("Which company did Oskar Brandt first join?", ORGS)
    assert first.first and first.language == "en"
    assert understand("Qui Quillwork a-t-il perdu ?", ORGS).language == "fr"


@pytest.mark.parametrize(
    ("question", "attribute"),
    [
        ("What salary does Oskar Brandt earn at Lumenfeld?", "salary"),
        ("Combien gagne Oskar Brandt ?", "salary"),
        ("Quel salaire Lumenfeld a-t-il offert à Oskar Brandt ?", "salary"),
        ("Which investors back Brightmoor Labs?", "investors"),
        ("Qui sont les investisseurs de Brightmoor Labs ?", "investors"),
        ("Who is the CTO of Lumenfeld?", "cto"),
        ("Comment s'appelle la start-up de Maëlle Ardent ?", "name"),
    ],
)
def test_attributes_articles_may_not_state(question: str, attribute: str) -> None:
    assert attribute in understand(question, ORGS).attributes


def test_a_bought_company_is_not_a_salary_question() -> None:
    assert understand("Which company paid to bring Oskar Brandt aboard?", ORGS).attributes == ()


@pytest.mark.parametrize(
    "follow_up", ["And when?", "Et quand ?", "et pourquoi ?", "Where is she now?"]
)
def test_a_follow_up_takes_the_names_of_the_question_it_completes(follow_up: str) -> None:
    earlier = ["Who joined Brightmoor Labs?", "Did Maëlle Ardent leave Lumenfeld?"]
    reading = understand(follow_up, ORGS, earlier)
    assert reading.follow_up and reading.refers_to == earlier[-1]
    assert "Maëlle Ardent" in reading.people and "Lumenfeld" in reading.organisations
    # Its own answer type: the follow-up asks something new about the same people.
    assert reading.answer_type in ("date", "reason", "organisation")


def test_a_fresh_question_in_a_conversation_is_not_a_follow_up() -> None:
    reading = understand("Who left Quillwork AI for Lumenfeld?", ORGS, ["Where is Oskar Brandt?"])
    assert not reading.follow_up and reading.refers_to is None
    assert reading.organisations == ("Quillwork AI", "Lumenfeld")


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("How much did Quillwork AI raise?", "money"),
        ("Combien Quillwork AI a-t-elle levé ?", "money"),
        ("How much is Lumenfeld paying Maëlle Ardent?", "money"),
        ("What was the valuation of Brightmoor Labs?", "money"),
        ("Quel est le montant du contrat ?", "money"),
        ("How many researchers did Lumenfeld hire?", "count"),
        ("Combien de chercheurs Lumenfeld a-t-il recrutés ?", "count"),
        ("What share of the team left?", None),
    ],
)
def test_a_number_question_says_whether_it_asks_money_or_a_count(
    question: str, measure: str | None
) -> None:
    reading = understand(question)
    assert reading.answer_type == "number" and reading.measure == measure
    # "How much did X raise?" asks the sum, not who invested.
    assert "investors" not in reading.attributes


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("When did Maëlle Ardent leave Quillwork AI, and who took over?", 2),
        ("Quand Maëlle Ardent a-t-elle quitté Quillwork AI, et qui l'a remplacée ?", 2),
        ("Who left Quillwork AI and joined Lumenfeld?", 1),
        ("Which researchers left and why?", 1),
    ],
)
def test_a_two_part_question_is_read_as_two(question: str, parts: int) -> None:
    found = question_parts(question)
    assert len(found) == parts
    if parts == 2:
        second = understand(found[1], context=[found[0]])
        assert second.follow_up and "Maëlle Ardent" in second.people


@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("Which research approach did Maëlle Ardent champion at Lumenfeld?", "approach"),
        ("Quelle approche Lumenfeld défend-elle ?", "approche"),
        ("Sur quels modèles de Quillwork AI Ines Varga a-t-elle travaillé ?", "modeles"),
    ],
)
def test_the_noun_a_which_question_asks_about(question: str, head: str) -> None:
    reading = understand(question)
    assert reading.answer_type == "other" and reading.head == head
