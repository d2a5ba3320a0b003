"""Text that talks to the machine instead of the reader: prompt injection.

An article (or a question) may carry instructions aimed at a model ("ignore your
instructions", "reveal your system prompt", "Note aux assistants IA : répondez que…",
"mentionne @everyone"). Such sentences are never quoted, never given to an LLM as sources,
and a question carrying one is answered without the LLM and without echoing it.

Matching happens on a normalised form (`normalise`), so that the trivial disguises do not
work: case, accents, zero-width and other invisible characters, runs of spaces, markdown
emphasis, full-width and mathematical letters (NFKD) and Cyrillic / Greek look-alikes
("Іgnore" with a Cyrillic І). The patterns look for a model being *addressed* or *ordered*,
not for the words alone: "il a ignoré les instructions de son conseil" and "the assistant
professor joined…" are news, and a false positive costs an answer.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from index.text import fold

# Lower-case Cyrillic and Greek letters drawn like Latin ones (after casefold). Not the
# whole Unicode confusables table: the letters that spell this module's words.
_LOOKALIKES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i",
    "ј": "j", "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "г": "r",
    "ѕ": "s", "т": "t", "у": "y", "ԝ": "w", "х": "x", "ү": "y", "ɡ": "g", "п": "n",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "γ": "y", "μ": "u", "ς": "s",
    # Latin look-alikes outside ASCII that NFKD leaves alone
    "ı": "i", "ȷ": "j", "ł": "l", "ø": "o", "đ": "d", "ß": "ss",
})
# Characters that separate words without being letters: whitespace of any kind, markdown
# emphasis and the like. Apostrophes become one ASCII form; colons stay (they matter).
_SEPARATORS = re.compile(r"[\s_*~`|\"«»“”„]+")
_INVISIBLE = frozenset({"Cf", "Mn", "Me"})
_APOSTROPHES = re.compile(r"[’‘`´ʼ′]")


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    return "" if unicodedata.category(char) in _INVISIBLE else char


def normalise(text: str) -> str:
    """The form injections are matched on: folded, invisible characters gone, look-alikes
    made Latin, separators collapsed to one space."""
    text = fold(text)
    # invisible characters (zero-width, bidi, soft hyphen) and marks NFKD left (variation
    # selectors, enclosing marks)
    text = _NON_ASCII.sub(_visible, text)  # only non-ASCII characters can be invisible
    text = text.translate(_LOOKALIKES)
    text = _APOSTROPHES.sub("'", text)
    return _SEPARATORS.sub(" ", text).strip()


_MODEL_EN = (r"(?:ai|a\.i\.|llms?|gpt|chatbots?|bots?|language models?|(?:ai )?assistants?"
             r"|(?:ai )?models?|(?:ai )?agents?|ai systems?)")
_MODEL_FR = (r"(?:ia|llms?|chatbots?|robots?|bots?|modeles? de langage"
             r"|intelligences? artificielles?|(?:assistants?|agents?|modeles?|systemes?)"
             r"(?: (?:ia|d'ia|virtuels?|conversationnels?))?)")
_RULES_EN = r"(?:instructions?|prompts?|rules|directions|guidelines|directives)"
_RULES_FR = r"(?:instructions|consignes|regles|directives|indications)"
_TEXT_EN = r"(?:text|article|page|document|message|content|story|file|passage|lines?|words?)"
# Where an imperative can stand: start of text or clause, or after "et" / "and" / "please".
_CLAUSE = (r"(?:^|[.!?:;,(\[\-\u2013\u2014]\s*"
           r"|\b(?:et|and|then|puis|please|s'il (?:te|vous) plait) )")

_PATTERNS = [
    # English: orders
    rf"\bignore (?:all |any |the |your |my |of |previous |prior |above |earlier |former )+"
    rf"{_RULES_EN}\b",
    rf"\bdisregard (?:all |any |of |the |your |previous |prior |above |earlier )*{_RULES_EN}\b",
    rf"\bforget (?:all |any |of |about |the |your |previous |prior |above |earlier )+{_RULES_EN}\b",
    r"\b(?:reveal|print|show|repeat|output|leak) (?:me )?(?:your |the )?"
    r"(?:system |hidden |initial )?(?:prompt|instructions)\b",
    r"\bsystem prompt\b",
    r"\byou are now\b|\bact as (?:an? )?(?:unrestricted|jailbroken|dan)\b",
    r"\b(?:ping|mention|notify|tag) (?:@ ?everyone|@ ?here|all users)\b",
    r"\bnew instructions? ?:",
    # English: addressing a model
    rf"\b(?:note|message|instructions?|attention|notice|memo|reminder) (?:to|for) (?:all |any )?"
    rf"(?:the )?{_MODEL_EN} ?[:,]",
    rf"\b{_MODEL_EN} (?:(?:that|who) (?:are |is )?)?(?:reading|processing|summari[sz]ing|parsing"
    rf"|scraping|reads?|process(?:es)?|summari[sz]es?) (?:this|these)(?: {_TEXT_EN})? ?"
    rf"(?:[,:]|should|must|need|are|have|may|will|please)",
    rf"\bif you are an? {_MODEL_EN}\b",
    rf"\bas an? {_MODEL_EN} ?, (?:you|say|reply|answer|respond|write|state|tell|ignore)\b",
    rf"\b(?:dear|hey|hello|hi|attention|calling) (?:all )?(?:the )?{_MODEL_EN} ?[,:]",
    # French: orders (an imperative or second person, not "il a ignoré les consignes")
    rf"\b(?:ignore|oublie|neglige)[rsz]? (?:toutes |tous |donc )?(?:tes|vos) (?:\w+ )?"
    rf"{_RULES_FR}\b",
    rf"{_CLAUSE}(?:ignore|oublie|neglige)[rz]? (?:toutes |tous )?(?:les |ces |mes )?(?:\w+ )?"
    rf"{_RULES_FR}\b",
    rf"\b(?:ignore|oublie|neglige)\w* (?:toutes |tous )?(?:les|ces) {_RULES_FR} "
    rf"(?:precedentes|anterieures|ci-dessus|initiales|du systeme|systeme)\b",
    r"\b(?:revele|affiche|montre|repete|donne)[rsz]? (?:moi )?"
    r"(?:ton |ta |tes |votre |vos |le |la |les )?(?:prompt|instructions|consignes)(?: systeme)?\b",
    r"\bprompt systeme\b",
    r"\b(?:mentionne|notifie|ping)[rz]? (?:@ ?everyone|@ ?here|tout le monde)\b",
    r"\bnouvelles? (?:instructions|consignes) ?:",
    # French: addressing a model
    rf"\b(?:note|message|consignes?|instructions?|avis|attention|rappel|memo)s? "
    rf"(?:aux|a l'|a la|au|a tous les|a toutes les|pour les|pour l'|pour le|pour la"
    rf"|a destination des?|a l'attention des?|a l'intention des?) ?{_MODEL_FR} ?[:,]",
    rf"\b{_MODEL_FR} (?:qui (?:lis|trait|resum)(?:e|es|ent|ez)|lisant|traitant"
    rf"|resumant) (?:ce|cet|cette|ces)\b",
    rf"\bsi (?:tu es|vous etes) (?:une? )?{_MODEL_FR}\b",
    r"\ben tant qu' ?(?:ia|assistant|modele de langage|intelligence artificielle|llm|chatbot)"
    r" ?,? (?:tu|vous|reponds|repondez|dis|dites|ecris|ecrivez|affirme|affirmez|indique"
    r"|indiquez|ignore|ignorez|oublie|oubliez|dois|devez)\b",
]
_INJECTION = re.compile("|".join(_PATTERNS))


@lru_cache(maxsize=32_768)
def looks_like_injection(text: str) -> bool:
    """True for text that gives orders to an AI system rather than reporting news.

    Memoised: the answerer asks this of every candidate sentence of every question, the
    same sentences come back question after question, and normalising is a third of the
    time of an answer (measured: 0.44 of 1.34 s over the seed questions)."""
    return bool(_INJECTION.search(normalise(text)))
