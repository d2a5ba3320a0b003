"""A deterministic corpus of generated news articles about AI researchers changing labs.

Used by `talentbot bench` to measure ingest and retrieval at a realistic size without
shipping thousands of real articles. The prose is template-built French (and some
English) news copy: people, labs, roles, dates and figures vary per article, so texts are
unique and the keyword index sees a realistic vocabulary. The facts are invented.

Each article draws from its own RNG seeded by (seed, index), so the first 20 articles of
a 2,000-article corpus are the same files as a 20-article corpus with the same seed.

    python -m bench.synthetic OUT_DIR --articles 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEED = 20_250_601
DEFAULT_WORDS = 600
ENGLISH_SHARE = 0.15

_FIRST_F = (
    "Claire Camille Inès Sarah Léa Manon Julie Chloé Amina Yasmine Élodie Nadia Sofia Hélène "
    "Pauline Mei Priya Olga Laura Marta Aïcha Noémie Agathe Louise Émilie Ana Hannah Yuki"
).split()
_FIRST_M = (
    "Thomas Julien Karim Hugo Antoine Mehdi Lucas Nicolas Pierre Samuel Rémi Omar Vincent "
    "Arnaud Maxime Raphaël Daniel Wei Rahul Lukas Mateo Jonas Bastien Yann Théo Adrien Kenji Ivan"
).split()
_LAST = (
    "Dumont Martin Bernard Lefèvre Moreau Garnier Rousseau Chevalier Lambert Faure Girard "
    "Mercier Blanc Guerin Boyer Roux Fontaine Caron Perrin Morel Benali Haddad Nguyen Tran "
    "Kowalski Novak Schmidt Weber Rossi Ricci García López Fernández Silva Costa Müller Zhang "
    "Wang Chen Kumar Sharma Patel Tanaka Sato Kim Park Ivanova Petrov Larsen Jensen Okafor "
    "Mensah Diallo Traoré Cohen Levy Marchand Delacroix Aubert Vidal Renaud Leclerc Barbier"
).split()

_REAL_LABS = (
    "Meta", "Mistral AI", "Google DeepMind", "OpenAI", "Microsoft", "Anthropic", "Cohere",
    "Kyutai", "Hugging Face", "Nvidia", "Apple", "Amazon", "xAI", "Scale AI",
    "Thinking Machines Lab", "Safe Superintelligence",
)
_LAB_STEMS = (
    "Nexo Heli Quant Orbi Vire Lumi Cerul Arca Noval Sylva Tera Kairo Zeph Aure Lyra Mira "
    "Astra Nimbu Ferro Pola Vanta Octa Sigma Delta Cobal Ember Halcy Indi Juno Kelvi"
).split()
_LAB_ENDINGS = ("ra", "x", "on", "is", "ia", "um", "ex", "ar", "en", "al")
_LAB_KINDS = ("AI", "Labs", "Research", "Intelligence", "Systems", "IA", "Robotics", "Compute")
# Named without an article, so "à {A}" and "de {A}" read right in French too.
_ACADEMIA = (
    "Inria", "Stanford", "Princeton", "Mila", "Télécom Paris", "Sorbonne Université",
    "CentraleSupélec", "Cambridge", "Oxford", "Berkeley", "Carnegie Mellon", "Polytechnique",
)
_CITIES = ("Paris", "Londres", "San Francisco", "Zurich", "Montréal", "Berlin", "New York",
           "Toronto", "Amsterdam", "Seattle", "Lyon", "Grenoble", "Tokyo", "Singapour")
_CITIES_EN = ("Paris", "London", "San Francisco", "Zurich", "Montreal", "Berlin", "New York",
              "Toronto", "Amsterdam", "Seattle", "Lyon", "Grenoble", "Tokyo", "Singapore")
_OUTLETS_FR = ("Les Échos", "L'Usine Digitale", "Le Monde Informatique", "Numerama",
               "Le Figaro", "BFM Business", "Maddyness", "Journal du Net", "La Tribune",
               "Challenges", "L'Informé", "Siècle Digital")
_OUTLETS_EN = ("TechCrunch", "The Information", "Wired", "The Verge", "Business Insider",
               "Bloomberg", "The Wall Street Journal", "Reuters", "Fortune", "Semafor")
_TOPICS_FR = (
    "grands modèles de langage", "apprentissage par renforcement", "vision par ordinateur",
    "alignement des modèles", "raisonnement mathématique", "reconnaissance vocale",
    "robotique humanoïde", "modèles multimodaux", "agents autonomes", "génération de code",
    "modèles de diffusion", "sécurité de l'IA", "infrastructures d'entraînement",
    "traduction automatique", "découverte de médicaments",
)
_TOPICS_EN = (
    "large language models", "reinforcement learning", "computer vision", "model alignment",
    "mathematical reasoning", "speech recognition", "humanoid robotics", "multimodal models",
    "autonomous agents", "code generation", "diffusion models", "AI safety",
    "training infrastructure", "machine translation", "drug discovery",
)
# (masculine, feminine) French job titles; English has one form.
_ROLES_FR = (
    ("directeur de la recherche", "directrice de la recherche"),
    ("directeur scientifique", "directrice scientifique"),
    ("responsable de l'équipe d'alignement", "responsable de l'équipe d'alignement"),
    ("chercheur principal", "chercheuse principale"),
    ("vice-président chargé de l'IA", "vice-présidente chargée de l'IA"),
    ("directeur technique", "directrice technique"),
    ("chef de l'équipe de pré-entraînement", "cheffe de l'équipe de pré-entraînement"),
    ("ingénieur de recherche", "ingénieure de recherche"),
    ("responsable du laboratoire parisien", "responsable du laboratoire parisien"),
    ("directeur de l'IA générative", "directrice de l'IA générative"),
)
_ROLES_EN = (
    "head of research", "chief scientist", "alignment team lead", "principal researcher",
    "vice president of AI", "chief technology officer", "pre-training lead",
    "research engineer", "head of the Paris lab", "director of generative AI",
)
_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")

# {P} person, {F} former lab, {T} new lab, {R} role, {X} topic, {C} city, {O} outlet,
# {Q} a colleague, {A} an academic institution, {N}/{M} numbers, {Y} a year, {D} a month.
# French gender: {il}/{Il}, {e} (agreement ending), {le} ("le chercheur"/"la chercheuse").
_LEADS_FR = (
    "{P} quitte {F} pour rejoindre {T}, où {il} occupera le poste de {R}.",
    "Selon {O}, {P} a été recruté{e} par {T} après {N} ans passés chez {F}.",
    "C'est un départ qui fait du bruit : {P}, figure de la recherche en {X} chez {F}, "
    "rejoint {T}.",
    "{T} a confirmé l'arrivée de {P}, jusqu'ici {R} chez {F}.",
    "Nouveau transfert dans la course aux talents de l'IA : {P} part de {F} pour {T}.",
)
_BODY_FR = (
    "{Il} y dirigera une équipe de {N}0 personnes dédiée à la recherche en {X}.",
    "Avant {F}, {P} avait passé plusieurs années à {A}, où {il} avait soutenu une thèse "
    "remarquée en {X}.",
    "D'après nos informations, l'offre de {T} comprendrait un bonus d'arrivée de {M} millions "
    "de dollars, un montant que l'entreprise n'a pas souhaité commenter.",
    "Chez {F}, on minimise ce départ : « nos équipes restent solides et continuent de publier », "
    "assure un porte-parole.",
    "{P} n'arrive pas seul{e} : {Q}, {son_ancien} collègue, devrait {le_suivre} dans les "
    "prochaines semaines.",
    "Le bureau de {T} à {C} compte désormais plus de {K} chercheurs, contre une poignée il y a "
    "deux ans.",
    "Ce recrutement intervient alors que {T} a levé {M}00 millions d'euros en {D} {Y}.",
    "{F} a perdu au moins {N} chercheurs spécialisés en {X} depuis le début de l'année, "
    "selon un décompte de {O}.",
    "Sur LinkedIn, {P} explique vouloir « travailler sur des modèles plus ouverts et plus "
    "sobres ».",
    "La direction de {T} voit dans cette arrivée un signal envoyé aux investisseurs comme aux "
    "jeunes diplômés.",
    "Les salaires proposés aux profils les plus recherchés dépassent désormais {M} millions de "
    "dollars par an, actions comprises.",
    "{Il} avait co-signé en {Y} un article de référence en {X}, cité plusieurs milliers de "
    "fois.",
    "Dans l'entourage de {P}, on évoque un désaccord sur la stratégie de publication de {F}.",
    "Plusieurs anciens de {F} avaient déjà franchi le pas ces derniers mois, dont {Q}.",
    "La concurrence pour les spécialistes en {X} s'est nettement durcie depuis {Y}.",
    "Le laboratoire de {C} devient ainsi l'un des pôles les plus actifs de {T}.",
    "{T} prévoit de présenter un nouveau modèle avant la fin de l'année, selon {O}.",
    "Interrogé par {O}, un ancien collègue de {P} décrit « un profil exigeant, très proche "
    "des équipes d'ingénierie ».",
    "Ce mouvement illustre la fuite des cerveaux qui touche les grands groupes au profit de "
    "structures plus petites.",
    "Le départ de {P} prendra effet en {D}, après une période de transition de {N} semaines.",
    "{A} continue néanmoins de former une part importante des chercheurs recrutés par {T}.",
    "À {C}, plusieurs start-up tentent de retenir leurs talents en leur offrant davantage "
    "d'autonomie.",
    "Le montant exact de la rémunération de {P} n'a pas été rendu public.",
    "{T} emploie aujourd'hui {K} personnes, dont près d'un tiers dans la recherche.",
    "Les équipes de {F} spécialisées en {X} ont été réorganisées à la suite de ce départ.",
    "Pour {O}, ce recrutement confirme l'ambition de {T} de rivaliser avec les laboratoires "
    "américains.",
    "{Q} a quant à {lui_elle_q} rejoint {T2} en {D} {Y}, selon son profil professionnel.",
    "Le marché reste très tendu : moins de {K} chercheurs dans le monde maîtrisent "
    "l'entraînement de modèles à cette échelle.",
    "Un porte-parole de {T} confirme que {P} rendra compte directement à la direction générale.",
    "Les autorités de la concurrence s'intéressent de plus en plus à ces recrutements massifs.",
)
_HEADINGS_FR = (
    "Une équipe renforcée", "Un départ de plus pour {F}", "La bataille des salaires",
    "Des ambitions européennes", "Le contexte", "Ce que l'on sait", "Une stratégie assumée",
    "Les réactions chez {F}",
)
_TITLES_FR = (
    "{P} quitte {F} pour {T}",
    "{T} recrute {P}, {R} chez {F}",
    "Course aux talents : {T} débauche {P} chez {F}",
    "Nouveau départ chez {F} : {P} rejoint {T}",
    "{P}, spécialiste en {X}, passe de {F} à {T}",
    "IA : {T} s'offre {P}, ancien{ne} de {F}",
)
_LEADS_EN = (
    "{P} is leaving {F} to join {T} as {R}.",
    "According to {O}, {T} has hired {P} after {N} years at {F}.",
    "In another high-profile move, {P}, a leading {X} researcher at {F}, is joining {T}.",
    "{T} confirmed the arrival of {P}, until now {R} at {F}.",
)
_BODY_EN = (
    "{P} will lead a team of about {N}0 people working on {X}.",
    "Before {F}, {P} spent several years at {A}, completing a well-cited thesis on {X}.",
    "The offer reportedly includes a signing bonus of {M} million dollars, which {T} declined "
    "to comment on.",
    "A {F} spokesperson played down the departure, saying the team \"remains strong and keeps "
    "shipping\".",
    "{Q}, a longtime collaborator, is expected to follow in the coming weeks.",
    "{T}'s {C} office now has more than {K} researchers, up from a handful two years ago.",
    "The hire comes after {T} raised {M}00 million dollars in {D} {Y}.",
    "{F} has lost at least {N} researchers focused on {X} since the start of the year, "
    "according to a tally by {O}.",
    "On LinkedIn, {P} said the move was about \"building more open and more efficient models\".",
    "Pay packages for the most sought-after researchers now exceed {M} million dollars a year, "
    "including stock.",
    "{P} co-authored a landmark paper on {X} in {Y} that has been cited thousands of times.",
    "People close to {P} point to a disagreement over {F}'s publication policy.",
    "Several former {F} researchers made the same move in recent months, including {Q}.",
    "Competition for {X} specialists has intensified sharply since {Y}.",
    "{T} plans to release a new model before the end of the year, {O} reported.",
    "The departure takes effect in {D}, after a {N}-week transition period.",
    "{T} now employs {K} people, nearly a third of them in research.",
    "{Q} joined {T2} in {D} {Y}, according to a professional profile.",
    "Fewer than {K} researchers worldwide know how to train models at this scale.",
    "A {T} spokesperson said {P} will report directly to the chief executive.",
    "Competition regulators are paying closer attention to these hiring sprees.",
    "The {C} lab has become one of {T}'s most active research hubs.",
)
_HEADINGS_EN = ("A growing team", "Another exit for {F}", "The pay war", "What we know",
                "Context", "Reactions at {F}")
_TITLES_EN = (
    "{P} leaves {F} for {T}",
    "{T} hires {F}'s {R} {P}",
    "Talent war: {T} poaches {P} from {F}",
    "{F} loses {X} researcher {P} to {T}",
)


@dataclass(frozen=True)
class SyntheticArticle:
    article_id: str
    title: str
    outlet: str
    published: str
    language: str
    body: str

    def to_markdown(self) -> str:
        # JSON strings are valid YAML double-quoted scalars, whatever quotes the title holds.
        return (
            "---\n"
            f"title: {json.dumps(self.title, ensure_ascii=False)}\n"
            f"outlet: {json.dumps(self.outlet, ensure_ascii=False)}\n"
            f"published: \"{self.published}\"\n"
            f"language: \"{self.language}\"\n"
            "---\n"
            f"{self.body}\n"
        )

    @property
    def words(self) -> int:
        return len(self.body.split())


@dataclass(frozen=True)
class _Person:
    name: str
    female: bool


def _person(rng: random.Random) -> _Person:
    female = rng.random() < 0.45
    first = rng.choice(_FIRST_F if female else _FIRST_M)
    return _Person(f"{first} {rng.choice(_LAST)}", female)


def _lab(rng: random.Random) -> str:
    # Two in three labs are invented, so names vary far beyond the real ones.
    if rng.random() < 0.35:
        return rng.choice(_REAL_LABS)
    return f"{rng.choice(_LAB_STEMS)}{rng.choice(_LAB_ENDINGS)} {rng.choice(_LAB_KINDS)}"


def _slots(rng: random.Random, english: bool) -> dict[str, str]:
    person, colleague = _person(rng), _person(rng)
    labs: list[str] = []
    while len(labs) < 3:
        lab = _lab(rng)
        if lab not in labs:
            labs.append(lab)
    f = person.female
    role_m, role_f = rng.choice(_ROLES_FR)
    return {
        "P": person.name,
        "Q": colleague.name,
        "F": labs[0],
        "T": labs[1],
        "T2": labs[2],
        "R": rng.choice(_ROLES_EN) if english else (role_f if f else role_m),
        "X": rng.choice(_TOPICS_EN if english else _TOPICS_FR),
        "C": rng.choice(_CITIES_EN if english else _CITIES),
        "O": rng.choice(_OUTLETS_EN if english or rng.random() < 0.3 else _OUTLETS_FR),
        "A": rng.choice(_ACADEMIA),
        "N": str(rng.randint(2, 12)),
        "M": str(rng.randint(2, 9)),
        "K": str(rng.randint(3, 60) * 10),
        "Y": str(rng.randint(2017, 2025)),
        "D": rng.choice(_MONTHS_EN if english else _MONTHS_FR),
        "il": "elle" if f else "il",
        "Il": "Elle" if f else "Il",
        "e": "e" if f else "",
        "ne": "ne" if f else "",
        "son_ancien": "son ancienne" if colleague.female else "son ancien",
        "le_suivre": "la suivre" if f else "le suivre",
        "lui_elle_q": "elle" if colleague.female else "lui",
    }


def _fill(template: str, slots: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: slots[m.group(1)], template)


def _elide(text: str) -> str:
    # French elision before a vowel: "de OpenAI" -> "d’OpenAI", "que elle" -> "qu’elle".
    return re.sub(r"\b(d|qu)e ([AEIOUYÉÈÂÎaeiouyéèâî])", "\\1\u2019\\2", text)


def generate_article(
    index: int,
    *,
    seed: int = DEFAULT_SEED,
    words: int = DEFAULT_WORDS,
    english_share: float = ENGLISH_SHARE,
) -> SyntheticArticle:
    """The `index`-th article of the corpus for `seed`; the same inputs give the same text."""
    rng = random.Random(f"talentbot-synthetic:{seed}:{index}")
    english = rng.random() < english_share
    slots = _slots(rng, english)
    outlet = rng.choice(_OUTLETS_EN if english else _OUTLETS_FR)
    leads, body, headings, titles = (
        (_LEADS_EN, _BODY_EN, _HEADINGS_EN, _TITLES_EN) if english
        else (_LEADS_FR, _BODY_FR, _HEADINGS_FR, _TITLES_FR)
    )
    # Varied lengths like real copy; the last paragraph overshoots by ~5 %, so the mean
    # lands near `words`.
    target = int(words * rng.uniform(0.8, 1.1))
    paragraphs = [" ".join(_fill(t, slots) for t in rng.sample(leads, 2))]
    pool = list(body)
    rng.shuffle(pool)
    count = len(paragraphs[0].split())
    while count < target:
        if rng.random() < 0.15:
            heading = _fill(rng.choice(headings), slots)
            paragraphs.append(heading)
            count += len(heading.split())
        sentences = []
        for _ in range(rng.randint(3, 5)):
            if not pool:
                # Out of fresh sentences: new people and labs keep the text from repeating.
                slots = {**slots, **{k: v for k, v in _slots(rng, english).items()
                                     if k not in ("P", "F", "T", "il", "Il", "e", "ne",
                                                  "le_suivre")}}
                pool = list(body)
                rng.shuffle(pool)
            sentences.append(_fill(pool.pop(), slots))
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    text = "\n".join(paragraphs)
    if not english:
        text = _elide(text)
    title = _fill(rng.choice(titles), slots)
    published = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(3 * 365))
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return SyntheticArticle(
        article_id=f"syn_{index:05d}_{digest}",
        title=title if english else _elide(title),
        outlet=outlet,
        published=published.isoformat(),
        language="en" if english else "fr",
        body=text,
    )


def generate_corpus(
    folder: Path,
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    words: int = DEFAULT_WORDS,
    english_share: float = ENGLISH_SHARE,
) -> list[Path]:
    """Write `n` articles as .md files into `folder`; return their paths in order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    seen: set[str] = set()
    index = 0
    # Texts are unique by construction in practice; a clash (the loader would skip the
    # second as a duplicate) just moves on to the next index, which stays deterministic.
    while len(paths) < n:
        article = generate_article(index, seed=seed, words=words, english_share=english_share)
        index += 1
        key = " ".join(article.body.split())
        if key in seen:
            continue
        seen.add(key)
        path = folder / f"{article.article_id}.md"
        path.write_text(article.to_markdown(), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--articles", type=int, default=2_000)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--words", type=int, default=DEFAULT_WORDS)
    args = p.parse_args(argv)
    paths = generate_corpus(args.folder, args.articles, seed=args.seed, words=args.words)
    print(f"{len(paths)} articles written to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
