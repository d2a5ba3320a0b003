from hypothesis import given
from hypothesis import strategies as st

from index.text import analyze, detect_language, fold, split_sentences


def test_fold_removes_accents_case_and_zero_width() -> None:
    assert fold("Rozière") == fold("ROZIERE") == "roziere"
    assert fold("Sé\u200bbastien") == "sebastien"


def test_analyze_matches_across_accents_elisions_and_hyphens() -> None:
    assert set(analyze("Sébastien")) & set(analyze("Sebastien"))
    assert set(analyze("d'OpenAI")) & set(analyze("OpenAI's"))
    assert set(analyze("vice-présidente")) & set(analyze("vice president"))
    assert analyze("the of le la des") == []


def test_detect_language() -> None:
    assert detect_language("Quel poste occupait-elle chez OpenAI ?") == "fr"
    assert detect_language("Où est-il parti ?") == "fr"
    assert detect_language("Who left Meta for Mistral?") == "en"


@given(st.text(max_size=400))
def test_sentences_are_exact_slices(text: str) -> None:
    for sentence in split_sentences(text, offset=7):
        assert text[sentence.start - 7:sentence.end - 7] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text


def test_split_sentences_on_news_prose() -> None:
    text = "Il a quitté Meta. Elle a rejoint OpenAI en 2024 ! Phi-3.5 est sorti.\nTitre"
    assert [s.text for s in split_sentences(text)] == [
        "Il a quitté Meta.", "Elle a rejoint OpenAI en 2024 !", "Phi-3.5 est sorti.", "Titre",
    ]
