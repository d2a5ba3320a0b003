"""Typed extraction at answer time: the dates, numbers, names, organisations, roles and
reasons a few candidate sentences hold, so that the answerer can pick the sentence that
holds an answer of the type asked and state that answer first.

It runs on a handful of sentences per question, so plain regular expressions suffice;
organisation and outlet names come from corpus/organisations.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from index.organisations import Organisation
from index.text import fold


@lru_cache(maxsize=32_768)
def fold_cached(text: str) -> str:
    """`fold` for the short strings (names, values, sentences) read again and again while
    answering one question: folding is character by character, caching it pays."""
    return fold(text)


@dataclass(frozen=True)
class Gazetteer:
    """The names recognised as typed values: known organisations, news outlets, and the
    people the move records hold; folded once, since every candidate sentence is read
    against them."""

    organisations: tuple[Organisation, ...] = ()
    outlets: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    @cached_property
    def org_patterns(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        return tuple((o.name, o.pattern()) for o in self.organisations)

    @cached_property
    def org_names(self) -> frozenset[str]:
        return frozenset(fold(n) for o in self.organisations for n in o.all_names)

    @cached_property
    def folded_people(self) -> tuple[tuple[str, str], ...]:
        return tuple((p, fold(p)) for p in self.people)

    @cached_property
    def movers(self) -> frozenset[str]:
        return frozenset(fold(p) for p in self.people)

    @cached_property
    def known(self) -> frozenset[str]:
        """Organisations' canonical names and outlets, folded."""
        return frozenset(fold(o.name) for o in self.organisations) | {
            fold(o) for o in self.outlets}

    @cached_property
    def folded_outlets(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        return tuple((o, re.compile(rf"(?<!\w){re.escape(fold(o))}(?!\w)"))
                     for o in self.outlets)

_MONTHS_FR = ("janvier février mars avril mai juin juillet août septembre octobre novembre "
              "décembre").split()
_MONTHS_EN = ("January February March April May June July August September October November "
              "December").split()
_MONTH = "|".join(_MONTHS_FR + _MONTHS_EN + ["fevrier", "aout", "decembre"])
_DATE = re.compile(
    rf"\b(?:(?:le |on )?\d{{1,2}}(?:er)?(?:[–-]\d{{1,2}})? (?:{_MONTH})(?: (?:19|20)\d\d)?|"
    rf"(?:{_MONTH}) \d{{1,2}}(?:st|nd|rd|th)?,? (?:19|20)\d\d|"
    rf"(?:(?:en |in |dès |since |début |fin |mi-|early |late |mid-)?(?:{_MONTH}) (?:19|20)\d\d)|"
    r"(?:en |in |since |depuis |dès )?(?:19|20)\d\d|"
    r"(?:d'ici |by )?(?:la )?(?:fin|end) (?:de l['’]année|of the year|(?:de )?(?:19|20)\d\d)|"
    r"last year|l['’]an dernier|l['’]année dernière|(?:le|la) (?:mois|semaine) dernier|"
    r"(?:la )?semaine dernière|last (?:month|week)|(?:earlier )?this (?:week|month|year)|"
    r"(?:plus tôt )?cette (?:semaine|année)|ce mois-ci|hier|yesterday|"
    rf"(?:en |in |début |fin |mi-|early |late |mid-)(?:{_MONTH})|"
    r"(?:au |in the |this |last |cet |l['’])(?:printemps|été|automne|hiver|spring|summer|"
    r"autumn|fall|winter)(?: dernier| prochain)?)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    r"un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|"
    r"vingt|trente|quarante|cinquante|soixante|cent|one|two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|"
    r"(?:une |a )?(?:dizaines?|centaines?|milliers|dozens?|hundreds|thousands|plusieurs|several)"
)
_NUMBER = re.compile(
    rf"(?:[$€£]\s?\d[\d\s.,]*(?:\s?(?:millions?|milliards?|billions?|million|bn|m|k))?"
    rf"|\b\d+(?:[ \u202f\u00a0.,]\d{{3}})*(?:[.,]\d+)?(?:\s?%|\s?(?:millions?|milliards?|"
    rf"billions?|thousand|mille)(?: de)?(?: dollars| euros)?|\s?(?:dollars|euros))?"
    rf"(?: (?:des|of|sur|out of) \d+)?"
    rf"|\b(?:un|a|one) (?:tiers|third|quart|quarter)\b|\b(?:la )?moitié\b|\bhalf\b"
    rf"|\b(?:{_NUMBER_WORDS})(?: (?:des|of|sur) (?:\d+|{_NUMBER_WORDS}))?(?= \w))",
    re.IGNORECASE,
)
_YEAR_ONLY = re.compile(r"^(?:19|20)\d\d$")
_ROLE = re.compile(
    r"\b(?:(?:senior |executive |ancien |ancienne |former )?"
    r"(?:vice[- ]pr[ée]sident(?:e)?(?: principal)?|senior director|director|directeur|"
    r"directrice|head|chef|responsable|chief \w+(?: \w+)? officer|"
    r"chief scientist|scientifique en chef|chercheur en chef|chercheuse en chef|président(?:e)?|"
    r"president|pdg|ceo|cto|cfo|coo|professeur(?: assistant)?|professor|assistant professor|"
    r"porte-parole|spokes(?:man|woman|person)|co-?fondat(?:eur|rice)|co-?founder|"
    r"fondat(?:eur|rice)|founder|manager|lead(?:er)?|chercheur|chercheuse|researcher|"
    r"ingénieur(?:e)? de recherche|research engineer|research scientist|scientist|"
    r"engineer|ingénieur(?:e)?|s?e?vp|advis[eo]r|conseill(?:er|ère)|board member|"
    r"membre du conseil|administrat(?:eur|rice)|partner|associée?|fellow|analyst|"
    r"chair(?:man|woman)?|general manager|chef de produit|product manager)"
    r"(?:[ -](?:de|of|du|des|de la|d['’]|chargée?|"
    r"in charge|for|principal|générale?|technique|général|adjoint(?:e)?|en chef|"
    r"[A-ZÀ-Þa-zà-ÿ'’-]+)){0,7})",
    re.IGNORECASE,
)
_ROLE_TAIL = frozenset(
    "de du des la le les l' d' sur of the for in at and et a à au aux chez pour par en qui "
    "que who which has have a été was is est, avec with".split()
)
_REASON = re.compile(
    r"\b(?:parce qu['’]|parce que|car |because|so that|so as to|in order to|afin de|"
    r"pour (?:poursuivre|se consacrer|monter|créer|lancer|rejoindre|des raisons)|"
    r"en raison d|citing|avançant|to pursue|to focus|to devote|to start|to build|"
    r"to launch|to create|due to|reason|was about|wanted to|in a bid to|aims? to|"
    r"hoping to|what (?:he|she|they) wanted|dans le but de|en quête de|souhait\w* |"
    r"voulait|voulant|pour se concentrer|fait suite (?:à|a)|à la suite d|suite à|"
    r"following (?:a |an |the )?(?:disagreement|dispute|clash|row|conflict)|"
    r"after (?:[\w-]+ ){0,4}(?:losses|disagreements?|disputes?|clash(?:es)?|tensions?|"
    r"conflicts?|setbacks|criticism)|over (?:a |an )?(?:disagreements?|disputes?|concerns?)|"
    r"désaccords?|disagreements?|invoquant|expliqu\w* (?:vouloir|souhaiter|avoir voulu)|"
    r"faute d|lassée? d|frustr\w*|en désaccord|envie de|desire to|frustrated)[^.;:!?]*",
    re.IGNORECASE,
)
# "left … to join Brightmoor": where someone went, a reason only for want of a better one.
_WEAK_REASON = re.compile(r"^(?:pour rejoindre|to join|pour aller|to go)\b", re.IGNORECASE)
_CAP = r"[A-ZÀ-ÖØ-Þ][\w’'.-]*"
_PROPER = re.compile(rf"(?<![\w’'])(?:{_CAP}|[a-z]+[A-Z]\w*)(?:\s(?:{_CAP}|de|van|von|da|le|"
                     rf"del)(?=\s[A-ZÀ-Þ])?)*(?:\s{_CAP})*")
_ORG_SUFFIX = re.compile(
    r"\b(?:AI|Labs?|Ventures|Capital|Partners|Inc|Corp|Systems|Technologies|Research|"
    r"Institute|University|Université|Group|Intelligence|Superintelligence|Machines)\b"
)
_NOT_NAME_WORDS = frozenset(fold(w) for w in (
    "le la les un une des de du en au aux et ou dans chez pour selon mais the a an in on at "
    "of for and or but after before après avant since depuis this that ce cette il elle they "
    "he she his her son sa ses ces ceux according mr ms mme m. dr according ia ai agi llm "
    "llms ceo pdg cto cfo phd vp".split()
)) | frozenset(fold(m) for m in _MONTHS_FR + _MONTHS_EN)


def dates(text: str) -> list[str]:
    """Date expressions, most precise first within each position ("29 juin 2024")."""
    out = [m.group().strip() for m in _DATE.finditer(text)]
    return _dedupe(out)


_NUMBER_VALUES = {
    **{w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven "
                                  "twelve".split())},
    **{w: i for i, w in enumerate("zero un deux trois quatre cinq six sept huit neuf dix onze "
                                  "douze".split())},
    "fifteen": 15, "quinze": 15, "twenty": 20, "vingt": 20, "quatorze": 14, "treize": 13,
    "thirty": 30, "trente": 30, "forty": 40, "quarante": 40, "fifty": 50, "cinquante": 50,
    "sixty": 60, "soixante": 60,
}


def number_value(word: str) -> int | None:
    """The integer a number word or numeral stands for, in either language."""
    folded = fold_cached(word)
    if folded.isdigit():
        return int(folded)
    return _NUMBER_VALUES.get(folded)


# "according to three people familiar with the matter", « selon deux sources proches du
# dossier »: a number that says who reported something is attribution, never an answer.
_ATTRIBUTION = re.compile(
    rf"\b(?:(?:according to|selon|d'après|d’après)\s+)?(?:\d+|{_NUMBER_WORDS})\s+"
    r"(?:(?:people|persons|individuals|insiders|officials|employees|sources?|personnes?|"
    r"salariés|employés)\s+(?:familiar|close|with (?:direct )?knowledge|briefed|"
    r"who (?:spoke|asked|requested|declined)|said|say|told|proches?|au fait|familières?|"
    r"informées?|interrogées?|citées?|ayant|s'exprimant|sous couvert|qui ont)|"
    r"sources?\b)",
    re.IGNORECASE,
)
_CURRENCY = re.compile(
    r"[$€£]|\b(?:dollars?|euros?|usd|eur|gbp|pounds?|livres? sterling|francs?)\b",
    re.IGNORECASE,
)


def _blank(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def numbers(text: str) -> list[str]:
    """Counts, shares and amounts ("2 000", "100 millions de dollars", "un tiers"); the
    day numbers of dates ("du 6 au 10 février") are not counts, nor the number of people
    an article cites as its sources."""
    text = re.sub(  # a day range's first day
        r"\b\d{1,2}\s*(?:au|to|–|-)\s*(?=\s*\d)",
        lambda m: " " * len(m.group()), text)
    text = _blank(_DATE, text)
    text = _blank(_ATTRIBUTION, text)
    out = []
    for m in _NUMBER.finditer(text):
        value = m.group().strip(" ,.")
        if _YEAR_ONLY.match(value) or fold_cached(value) in ("un", "une", "a", "one"):
            continue
        out.append(value)
    return _dedupe(out)


def amounts(text: str) -> list[str]:
    """The numbers of `text` that are sums of money: a currency sign or word on them or
    just after ("$18 million", "12 millions d'euros", "€3bn")."""
    out = []
    for value in numbers(text):
        at = text.find(value)
        if at >= 0 and _CURRENCY.search(text[max(0, at - 2): at + len(value) + 14]):
            out.append(value)
    return out


_TOKEN = re.compile(r"[\w’'-]+|[^\w\s]")
_DETERMINERS = frozenset(fold(w) for w in (
    "a an the its their his her our this these those un une des le la les l' l’ son sa ses "
    "leur leurs ce cette ces du de".split()))
_CLAUSE = frozenset(fold(w) for w in (
    "that which who whom while when whereas and but as since because qui que dont où lorsque "
    "quand alors mais et car depuis puisque said says a-t-il a-t-elle".split()))


def noun_phrase(text: str, head_terms: frozenset[str]) -> str | None:
    """The noun phrase of `text` around its head noun (any of `head_terms`, index terms of
    either language): from its determiner to the end of its clause, at most a dozen words.
    'Lumenfeld champions a simulation-first approach to training robot arms.' -> 'a
    simulation-first approach to training robot arms'."""
    from index.text import analyze

    tokens = list(_TOKEN.finditer(text))
    at = next((i for i, t in enumerate(tokens) if set(analyze(t.group())) & head_terms), None)
    if at is None:
        return None
    start = at
    for i in range(at - 1, max(-1, at - 5), -1):
        word = tokens[i].group()
        if not re.match(r"\w", word) or fold_cached(word) in _CLAUSE:
            break
        start = i
        if fold_cached(word) in _DETERMINERS or fold_cached(word).endswith(("l'", "l’")):
            break
    else:
        start = at if start < at - 3 else start
    if start < at and fold_cached(tokens[start].group()) not in _DETERMINERS:
        start = at  # no determiner within reach: the words before are not the phrase's
    end = at
    for i in range(at + 1, min(len(tokens), at + 12)):
        word = tokens[i].group()
        if not re.match(r"[\w’'-]", word) or fold_cached(word) in _CLAUSE:
            break
        end = i
    return text[tokens[start].start(): tokens[end].end()]


def roles(text: str) -> list[str]:
    out = []
    for m in _ROLE.finditer(text):
        tokens = m.group().strip(" ,.").split()[:8]
        # A role phrase ends on its noun, not on "de la" or a verb's first word.
        while len(tokens) > 1 and fold_cached(tokens[-1]) in _ROLE_TAIL:
            tokens = tokens[:-1]
        out.append(" ".join(tokens))
    return _dedupe(out)


def reasons(text: str) -> list[str]:
    """Causal clauses ("because…", "afin de…", "son départ fait suite à un désaccord…"),
    the ones that give a cause before those that only name a destination."""
    found = _dedupe([m.group().strip(" ,.") for m in _REASON.finditer(text)])
    return sorted(found, key=lambda v: bool(_WEAK_REASON.match(v)))


def weak_reason(value: str) -> bool:
    """A 'reason' that only says where someone went ("to join X")."""
    return bool(_WEAK_REASON.match(value))


def organisations_in(text: str, gazetteer: Gazetteer) -> list[str]:
    """Known organisations named in the text, in order of appearance, canonical names."""
    folded = fold_cached(text)
    found: list[tuple[int, str]] = []
    for name, pattern in gazetteer.org_patterns:
        match = pattern.search(folded)
        if match:
            found.append((match.start(), name))
    return _dedupe([name for _, name in sorted(found)])


def proper_names(text: str) -> list[str]:
    """Runs of capitalised words that are not a sentence's first word alone."""
    out: list[str] = []
    for m in _PROPER.finditer(text):
        tokens = [t.rstrip(".,’'") for t in m.group().split()]
        tokens = [t for t in tokens if t]
        while tokens and (fold_cached(tokens[0]) in _NOT_NAME_WORDS or tokens[0].endswith("'")):
            tokens = tokens[1:]
        while tokens and fold_cached(tokens[-1]) in _NOT_NAME_WORDS:
            tokens = tokens[:-1]
        if not tokens:
            continue
        start = m.start() + m.group().find(tokens[0])
        before = text[:start].rstrip()
        if len(tokens) == 1 and (not before or before[-1] in ".!?:«\"“-—–"):
            continue  # a capital that only opens a sentence or a list item
        value = " ".join(tokens).strip(".,’'")
        if len(value) >= 2:
            out.append(value)
    return _dedupe(out)


def people_in(text: str, gazetteer: Gazetteer) -> list[str]:
    """Person names: the move records' people, then 'Firstname Lastname' runs that are
    not organisations."""
    folded = fold_cached(text)
    found = [p for p, f in gazetteer.folded_people if f in folded]
    org_names = gazetteer.org_names | {fold_cached(o) for o in gazetteer.outlets}
    for name in proper_names(text):
        words = name.split()
        if not 2 <= len(words) <= 4 or _ORG_SUFFIX.search(name):
            continue
        if fold_cached(name) in org_names or any(fold_cached(w) in org_names for w in words):
            continue
        if any(fold_cached(name) in fold_cached(p) for p in found):
            continue
        found.append(name)
    return _dedupe(found)


def organisations_and_names(text: str, gazetteer: Gazetteer, outlets: bool = False) -> list[str]:
    """Organisations: known ones (and outlets, when asked) first, then capitalised names
    that look like one (a suffix such as Labs or Ventures, a university, a single
    capitalised word)."""
    found = organisations_in(text, gazetteer)
    if outlets:
        folded = fold_cached(text)
        found += [o for o, pattern in gazetteer.folded_outlets if pattern.search(folded)]
    found += [m.group() for m in _INSTITUTION.finditer(text)]
    for name in proper_names(text):
        if _ORG_SUFFIX.search(name) or len(name.split()) == 1:
            found.append(name)
    return _dedupe(found)


# "l'université de Grenoble", "University of Toronto": a place of work named after a town.
_INSTITUTION = re.compile(
    r"\b(?:[Uu]niversité|[Uu]niversity|[ÉéEe]cole|[Ii]nstitut[e]?)"
    r" (?:de |d['’]|of |du )?[A-ZÀ-Þ][\w-]+"
)


def _dedupe(values: list[str]) -> list[str]:
    """Distinct values, dropping any contained in a longer one already kept."""
    out: list[str] = []
    for v in sorted(dict.fromkeys(values), key=lambda s: -len(s)):
        if not any(fold_cached(v) in fold_cached(o) for o in out):
            out.append(v)
    order = {v: i for i, v in enumerate(values)}
    return sorted(out, key=lambda v: order[v])


_FR_TO_EN = dict(zip([fold_cached(m) for m in _MONTHS_FR], _MONTHS_EN, strict=True))
_EN_TO_FR = dict(zip([m.casefold() for m in _MONTHS_EN], _MONTHS_FR, strict=True))


def localise_date(value: str, language: str) -> str:
    """A date expression in the question's language: 'août 2024' -> 'August 2024'."""
    # "le 17 mai" -> "17 mai", but "le mois dernier" keeps its article.
    text = re.sub(r"^(?:(?:le|on)\s+(?=\d)|(?:en|in|dès|since|depuis)\s+)", "", value,
                  flags=re.IGNORECASE)
    if language == "en":
        text = re.sub(r"\b1er\b", "1", text)
        text = re.sub(r"(?:la )?fin de l['’]année", "the end of the year", text, flags=re.I)
        text = re.sub(r"l['’]an dernier|l['’]année dernière", "last year", text, flags=re.I)
        text = re.sub(r"^(?:le|la) (?=mois|semaine)", "", text, flags=re.I)
        for fr, en in (("mois dernier", "last month"), ("semaine dernière", "last week"),
                       ("cette semaine", "this week"),
                       ("cette année", "this year"), ("ce mois-ci", "this month"),
                       ("hier", "yesterday"), ("plus tôt", "earlier")):
            text = re.sub(fr, en, text, flags=re.I)
        text = re.sub(r"\bdébut\b", "early", text, flags=re.I)
        text = re.sub(r"\bfin\b", "late", text, flags=re.I)
        return re.sub(r"\w+", lambda m: _FR_TO_EN.get(fold_cached(m.group()), m.group()), text)
    text = re.sub(r"^(Le|La|Fin|Début) ", lambda m: m.group(1).lower() + " ", text)
    text = re.sub(r"the end of the year|end of the year", "la fin de l'année", text, flags=re.I)
    text = re.sub(r"last year", "l'an dernier", text, flags=re.I)
    text = re.sub(r"(\w+) (\d{1,2})(?:st|nd|rd|th)?,? ", r"\2 \1 ", text)
    return re.sub(r"[A-Za-z]+", lambda m: _EN_TO_FR.get(m.group().casefold(), m.group()), text)
