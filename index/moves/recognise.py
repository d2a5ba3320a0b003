"""Organisations found in an article's own words, when no list names them.

News introduces an employer in a few ways, the same in French and English, and a
capitalised span in one of those places is taken for an organisation:
  - after a preposition or verb that takes a workplace: "chez X", "at X", "joined X",
    "a quitté X", "rejoindre X", "returning to X", "de chez X", "cofondé X", "co-founder
    of X", "ancien d'X", "directrice technique de X" (a role word before "de/of");
  - after a noun that names a kind of organisation: "la start-up (parisienne) X",
    "the (robotics) startup X", "la société X", "his own venture, X";
  - in front of an apposition or a possessive: "X, the speech-synthesis startup",
    "X's chief executive", "X's interpretability team";
  - in front of a passive founding: "X a été fondée (en 2022) par", "X was founded by";
  - anywhere, with an organisation's last word: "... AI", "Labs", "Robotics", "Ventures".
After "from", "for", "pour" and a role's "de", where a person may also stand, only one
word or a span ending in such a last word is taken. Spans of places, months, role words and
common capitalised words are not organisations, nor is a bare word that is some person's
surname in the same article ("Petra Solvang" vs "Solvang Ventures").

A name ending in an organisation word also answers to its first words alone ("Quillwork AI"
is "Quillwork" in the next sentence), so variants in one article are one organisation.
"""

from __future__ import annotations

import re
from functools import lru_cache

from index.moves import rules as R
from index.organisations import Organisation
from index.text import STOP_WORDS, fold

fold_word = R.fold_word  # cached: the same words recur in every article

MAX_DISCOVERY_CHARS = 100_000

# Last words that make a capitalised span an organisation by themselves.
SUFFIXES = frozenset(
    """ai ia labs lab inc inc. compute technologies technology ventures research robotics systems
    capital partners dynamics bio biosciences therapeutics networks computing semiconductor
    semiconductors studios studio holdings corp corporation intelligence analytics software
    cloud sciences foundation institute institut university universite college group groupe
    ltd llc gmbh sa sas""".split()
)
PLACES = frozenset(
    """paris londres london geneve geneva berlin munich francfort frankfurt amsterdam
    madrid barcelone barcelona dublin stockholm bruxelles brussels lyon nantes bordeaux lille
    marseille toulouse grenoble rennes nice montpellier strasbourg toronto montreal vancouver
    boston seattle austin chicago tokyo pekin beijing shanghai shenzhen singapour singapore
    bangalore seoul seoul tel aviv palo alto mountain view menlo park redmond cupertino
    europe france allemagne germany royaume-uni britain angleterre england suisse switzerland
    canada inde india japon japan chine china israel usa us uk californie california
    amerique america etats-unis silicon valley davos""".split()
)
_WORD = r"[A-ZÀ-ÖØ-Þ][\w&\-]*(?:\.[A-Za-z]+)*"
_SPAN = rf"(?P<org>{_WORD}(?:[ \u00a0](?:{_WORD}|&)){{0,3}})"
_ART = r"(?:(?:the|la|le|les|l['’])\s*)?"
# Strong places: whatever capitalised span follows is a workplace.
_STRONG = (
    r"chez|at|au sein de|within|joined|joins|join|joining|rejoin(?:ed|s|ing)?|rejoin\w*"
    r"|left|leaving|leaves|quit|quits|quitting|quitt\w*|returning to|returned to|returns to"
    r"|return to|went back to|back to|moved to|moving to|moves to|move to|defected to"
    r"|came to|comes to|coming to|now at|désormais chez|desormais chez"
    r"|switch(?:es|ed|ing)? to|jump(?:s|ed|ing)? (?:ship )?to|cap sur|retour chez"
    r"|passe par|passage chez|revenu\w* chez|revient chez|retourn\w* chez|cofond\w*|co-fond\w*"
    r"|co-?found(?:ed|s|ing)?|to found|to start|co-?founders? of|founders? of"
    r"|co-?fondat\w+ (?:de|d['’])|fondat\w+ (?:de|d['’])|ceo of|pdg de|pdg d['’]"
)
# Weak places: a person may stand here too, so only a span that cannot be a name.
_ROLES = "|".join(sorted((re.escape(w) for w in R.ROLE_WORDS), key=len, reverse=True))
_WEAK = (
    rf"(?:recrute\w*|embauche\w*|debauche\w*|débauché\w*|recruté\w*|embauché\w*|hired"
    rf"|recruited|poached|snapped up|brought on) (?:par|by)"
    rf"|from|for|pour|de chez|venue?s? de|en provenance de|anciens? (?:de|d['’])"
    rf"|anciennes? (?:de|d['’])|(?:division|branche|pôle|pole|unit)(?:\s+\w+)?\s+(?:de|d['’]|of)"
    rf"|(?:{_ROLES})(?:\s+[a-zà-ÿ\-]+){{0,2}}\s+(?:de|d['’]|du|of)"
)
_KINDS = (
    r"start-?up|startups?|jeune pousse|soci[eé]t[eé]|entreprise|laboratoire|labo|firme"
    r"|licorne|company|firm|lab|venture|unicorn|spin-?off|fonds|fund|groupe"
)
_NOT_FILLER = re.compile(r"\w*(?:é|ée|ent|ait|é)$")
_PATTERNS = (
    ("strong", re.compile(rf"(?<!\w)(?i:{_STRONG})\s+{_ART}{_SPAN}")),
    ("weak", re.compile(rf"(?<!\w)(?i:{_WEAK})\s*{_ART}{_SPAN}")),
    ("kind", re.compile(
        rf"(?<!\w)(?i:{_KINDS})(?P<fill>(?:\s+[a-zà-ÿ\-]+){{0,2}})\s*,?\s+{_SPAN}")),
    ("apposition", re.compile(
        rf"{_SPAN},\s+(?i:(?:(?:the|a|an|la|une|le|un)\s+|l['’]\s*)(?:[\w\-]+\s+){{0,3}}"
        rf"(?:{_KINDS}|maker|developer|rival|owner|parent|editeur|éditeur|specialist"
        r"|spécialiste)(?!\w)(?!['’]s))")),  # "X, the startup's CEO" is a person
    ("possessive", re.compile(
        rf"{_SPAN}['’]s\s+(?:(?:[a-z\-]+|AI|IA|ML)\s+){{0,2}}(?:(?i:{_ROLES})|team|lab|division|unit"
        r"|models?|office|board|staff|employees|seed|round|headcount|research|product)(?!\w)")),
    ("founded", re.compile(
        rf"{_SPAN}\s+(?i:(?:a été |was |has been |, )?(?:co-?)?(?:fondée?|founded|créée?"
        r"|lancée?|launched|started)\s+(?:(?:en|in)\s+\d{4}\s+|(?:à|in)\s+\w+\s+){0,2}"
        r"(?:par|by))")),
    ("suffix", re.compile(rf"(?<![\w.]){_SPAN}")),
)
_SOURCE = re.compile(rf"(?<!\w)(?i:selon|according to|d['’]après|d['’]apres|reported by"
                     rf"|rapporte|rapportait|révèle|revele|reveals?|writes|écrit|ecrit)\s+{_SPAN}")
_PAIR = re.compile(rf"(?<!\w)({_WORD}) ({_WORD})")
_OWNER = re.compile(r"['’]s\s+\w")
# Cheap tests that skip the lines a pattern cannot match (discovery runs on every article).
_HINTS: dict[str, tuple[str, ...]] = {
    "possessive": ("'s", "’s"),
    "founded": ("fond", "found", "cré", "cre", "lanc", "launch", "start"),
    "apposition": (", ",),
    "kind": ("start", "jeune", "soci", "entreprise", "labo", "firm", "licorne", "compan",
             "lab", "venture", "unicorn", "spin", "fond", "fund", "groupe"),
}
_NOT_ORG = frozenset(R.COMMON_CAPITALISED - SUFFIXES) | PLACES | R.PRODUCTS | R.ROLE_WORDS


def _clean(span: str) -> list[str]:
    """The span's words without leading articles and trailing non-name words."""
    words = span.replace("\u00a0", " ").split(" ")
    while words and fold_word(words[0]) in {"the", "la", "le", "les", "l", "un", "une", "a", "an"}:
        words.pop(0)
    while words and fold_word(words[-1]) not in SUFFIXES and (
            fold_word(words[-1]) in STOP_WORDS or fold_word(words[-1]) in _NOT_ORG):
        words.pop()
    return words


def _acceptable(words: list[str], how: str) -> bool:
    if not words or len(words) > 4:
        return False
    folded = [fold_word(w) for w in words]
    if (folded[0] in _NOT_ORG - PLACES or folded[0] in STOP_WORDS
            or all(f in SUFFIXES for f in folded) or all(f in _NOT_ORG for f in folded)):
        return False  # "Boston Dynamics" is one, "Palo Alto" is not
    if any(f in R.MONTHS or (f in PLACES and len(words) == 1) for f in folded):
        return False
    if len(folded[0]) < 2:
        return False
    suffixed = folded[-1] in SUFFIXES and len(words) >= 2
    if how == "suffix":
        return suffixed
    if how == "weak":
        return suffixed or len(words) == 1
    return True


def _surnames(text: str) -> set[str]:
    """Last words of two-word capitalised runs: people's surnames, most of them."""
    return {fold_word(m.group(2)) for m in _PAIR.finditer(text)
            if fold_word(m.group(1)) not in STOP_WORDS and fold_word(m.group(1)) not in _NOT_ORG
            and fold_word(m.group(2)) not in SUFFIXES}


def discover(text: str, known: R.Lexicon) -> tuple[Organisation, ...]:
    """Organisations the text introduces that `known` does not hold, each with the
    shorter name it may go by later in the text."""
    found: dict[str, list[str]] = {}  # folded name -> its words as first written
    # A headline's last word and the body's first are not one span; a news article is far
    # shorter than the cap, which bounds the work on pathological inputs.
    lines = text[:MAX_DISCOVERY_CHARS].splitlines()
    lowered = [line.lower() for line in lines]
    for how, pattern in _PATTERNS:
        hint = _HINTS.get(how)
        todo = [ln for ln, low in zip(lines, lowered, strict=True)
                if hint is None or any(h in low for h in hint)]
        tried: set[str] = set()  # a long article repeats its names: judge each span once
        for line, m in ((ln, m) for ln in todo for m in pattern.finditer(ln)):
            if how in ("suffix", "founded", "possessive", "apposition"):
                if m.group("org") in tried:
                    continue
                tried.add(m.group("org"))
            if how != "possessive" and _OWNER.match(line, m.end("org")):
                continue  # "co-founder of Ada Brightwell's Lumenfeld": the owner, not the workplace
            if how == "kind" and any(
                    fold(w) in STOP_WORDS or _NOT_FILLER.match(w)
                    for w in m.group("fill").split()):
                continue
            words = _clean(m.group("org"))
            if how == "weak" and len(m.group("org").split()) > 1 and not (
                    words and fold_word(words[-1]) in SUFFIXES):
                continue  # "de la Société Générale": not a word of it alone
            if not words or not _acceptable(words, how):
                continue
            name = " ".join(words)
            if known.knows(name) or fold(name) in found:
                continue
            found[fold(name)] = words
    # A name the article cites as its source ("Selon Maddyness", "according to Tech
    # Ledger") is a newsroom, not an employer, wherever else it appears.
    sources = {fold(" ".join(_clean(m.group("org")))) for line in lines
               for m in _SOURCE.finditer(line)}
    found = {k: v for k, v in found.items() if k not in sources}
    surnames = _surnames(text)
    out: dict[str, Organisation] = {}
    for key, words in found.items():
        # "Quillwork" after "Quillwork AI": one organisation, under its full name.
        longer = next((w for k, w in found.items() if k != key and k.startswith(key + " ")),
                      None)
        if longer is not None:
            continue
        name = " ".join(words)
        if len(words) == 1 and fold(name) in surnames:
            continue  # "Solvang" is a person's surname here
        aliases: tuple[str, ...] = ()
        if len(words) >= 2 and fold_word(words[-1]) in SUFFIXES:
            short = " ".join(words[:-1])
            if fold(short) not in surnames and not known.knows(short) and (
                    fold(short) not in _NOT_ORG):
                aliases = (short,)
        out[key] = Organisation(name, aliases)
    return tuple(out.values())


@lru_cache(maxsize=512)
def article_lexicon(organisations: tuple[Organisation, ...]) -> R.Lexicon:
    return R.build_lexicon(organisations, ())
