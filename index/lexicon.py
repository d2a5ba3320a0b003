"""A small English-French glossary of the words talent-move news is written in.

The bundled embedding model reads English; most articles are French. Names match across
languages on their own, but "left"/"quitté" or "hired"/"recruté" do not, so the keyword side
expands a question's words with their translations from this list. It is vocabulary of the
domain (jobs, moves, reporting), not of any one article.
"""

from __future__ import annotations

from functools import lru_cache

from index.text import analyze, fold, words

# English word forms -> French words (both directions are used).
_PAIRS: dict[str, str] = {
    "leave left leaving leaves quit quits quitting departure departures depart": (
        "quitter quitté quitte quittent départ départs partir parti partis partie démission "
        "démissionnaire"
    ),
    "join joined joins joining": "rejoindre rejoint rejoignent rejoignait",
    "hire hired hires hiring recruit recruited recruits recruiting recruitment": (
        "recruter recruté recrutée recrutés recrute recrutement embaucher embauché embauche "
        "embauches engagé engager"
    ),
    "poach poached poaching": "débaucher débauché débauchés débauche",
    "acquire acquired acquisition buy bought": "acquérir acquis rachat racheté achat",
    "found founded founder founders cofounder cofounders co-founder co-founders": (
        "fonder fondé fondateur fondateurs cofondateur cofondateurs"
    ),
    "startup start-up company companies firm business": (
        "start-up entreprise entreprises société sociétés firme"
    ),
    "researcher researchers research": "chercheur chercheurs chercheuse recherche",
    "engineer engineers engineering": "ingénieur ingénieurs ingénierie",
    "employee employees staff team teams": "employé employés salarié salariés équipe équipes",
    "author authors coauthor coauthors paper": (
        "auteur auteurs coauteur coauteurs article étude"
    ),
    "head director manager lead leader led": (
        "directeur directrice dirigeant dirigeante responsable dirigé chef"
    ),
    "ceo": "pdg",
    "cto": "directeur directrice technique",
    "chief": "directeur directrice",
    "technical technology technologies tech": "technique technologie technologies",
    "vice president vp": "vice-président vice-présidente",
    "safety security": "sécurité",
    "job role position post": "poste rôle fonction emploi",
    "announce announced announcement": "annoncer annoncé annonce",
    "report reported reports reveal revealed": (
        "rapporter rapporté révéler révélé révèle relève selon"
    ),
    "confirm confirmed": "confirmer confirmé confirmés",
    "rumour rumor rumoured rumored": "rumeur",
    "outlet media newspaper press": "média médias journal presse",
    "share proportion percentage fraction": "part proportion pourcentage tiers moitié quart",
    "third": "tiers",
    "half": "moitié",
    "how many number": "combien nombre",
    "request requests application applications": "demande demandes candidature",
    "internal": "interne internes",
    "group": "groupe",
    "new": "nouveau nouvelle nouveaux nouvelles",
    "model models": "modèle modèles",
    "launch launched release released": "lancer lancé lancement sortie",
    "champion champions championed advocate advocated advocates promote promoted promotes "
    "defend defended defends": (
        "défendre défend défendu défendait prôner prône prônait promouvoir promeut "
        "promu"
    ),
    "approach approaches method methods strategy": "approche approches méthode méthodes stratégie",
    "develop developed develops building build built": (
        "développer développé développe développait construire construit"
    ),
    "product products tool tools": "produit produits outil outils",
    "technology": "technologie",
    "because reason cause": "parce car raison cause",
    "disagreement disagreements dispute": "désaccord désaccords différend",
    "losses loss": "pertes perte",
    "replace replaced successor succeed succeeded": (
        "remplacer remplacé remplace successeur succéder succédé"
    ),
    "raise raised funding round": "lever levé levée financement tour",
    "amount sum": "montant somme",
    "people persons person": "personnes personne gens",
    "million millions": "million millions",
    "billion billions": "milliard milliards",
    "plan plans planned planning": "prévoir prévoit prévoyant projet",
    "year": "année an",
    "end": "fin",
    "month months": "mois",
    "week weeks": "semaine semaines",
    "training": "entraînement",
    "data": "données",
    "improve improving improvement": "améliorer amélioration",
    "use uses using used": "utiliser utilise utilisant",
    "already": "déjà",
    "criticize criticized criticised criticism": "critiquer critiqué critiquée critiques",
    "popular": "populaire populaires",
    "before": "avant",
    "after": "après",
    "teach taught teacher professor": "enseigner enseigné professeur enseignant",
    "university": "université",
    "lab laboratory labs": "laboratoire labo",
    "generative": "générative génératif",
    "artificial intelligence": "intelligence artificielle",
    "talent talents": "talent talents",
    "exodus exit": "exode fuite",
    "salary salaries pay earn earns": "salaire salaires gagne gagner rémunération",
    "bonus": "prime primes bonus",
    "offer offers": "offre offres",
    "compete competition rival rivals rivalry": "concurrence concurrent concurrents rivalité",
    "where": "où",
    "who": "qui",
    "when": "quand",
    "why reason reasons": "pourquoi raison raisons",
    "spokesperson spokesman": "porte-parole",
    "receive received receives": "recevoir reçu reçoit reçus",
    "lose lost loses losing": "perdre perdu perd perdant",
    "stay stayed remain remained": "rester resté rester",
    "keep kept retain": "garder conserver",
    "worked work works working": "travaillé travailler travaille passé",
    "partnership partnerships": "partenariat partenariats",
    "superintelligence": "superintelligence",
    "january": "janvier", "february": "février", "march": "mars", "april": "avril",
    "may": "mai", "june": "juin", "july": "juillet", "august": "août",
    "september": "septembre", "october": "octobre", "november": "novembre",
    "december": "décembre",
}


@lru_cache(maxsize=1)
def _table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for english, french in _PAIRS.items():
        en_words = {fold(w) for w in words(english)}
        fr_words = {fold(w) for w in words(french)}
        en_terms, fr_terms = set(analyze(english)), set(analyze(french))
        for w in en_words:
            table.setdefault(w, set()).update(fr_terms)
        for w in fr_words:
            table.setdefault(w, set()).update(en_terms)
    return {k: frozenset(v) for k, v in table.items()}


def translations(word: str) -> frozenset[str]:
    """Index terms of the other language for one word (empty when not in the glossary)."""
    return _table().get(fold(word), frozenset())


def expand(text: str) -> list[str]:
    """Index terms of the other language for the words of `text` found in the glossary."""
    table = _table()
    extra: set[str] = set()
    for word in words(text):
        extra |= table.get(fold(word), frozenset())
    own = set(analyze(text))
    return sorted(extra - own)
