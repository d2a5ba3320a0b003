"""Question understanding: what a question asks for, about whom, and how it leans on the
conversation, in English and French.

One typed reading (`Question`) that the answerer, the move records and the LLM path all
use: the expected answer type, the people and organisations named, the move relation
asked (every synonym in both languages maps to one relation), time constraints, the
attribute asked about when it is one articles may simply not state (a salary, investors,
a CTO), and, for a follow-up, the earlier question it completes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from index.conversation import is_follow_up
from index.organisations import Organisation
from index.text import detect_language, fold
from index.types import Language

AnswerType = Literal[
    "person", "people", "organisation", "date", "number", "role", "place", "reason", "other"
]
Relation = Literal[
    "moved", "joined", "left", "hired", "poached", "founded", "replaced", "leads", "works_at"
]

# Every way of saying a move, folded (accents off), mapped to one relation. Ordered: the
# first relation whose pattern matches wins, so the specific ones come first.
_RELATION_WORDS: tuple[tuple[Relation, str], ...] = (
        ("poached", r"\b(?:poach\w*|lur(?:e|ed|es|ing)|debauch\w*|chipp\w*|snatch\w*|attir\w*|"
                    r"(?:brought|bring|brings|bringing) (?:[\w'-]+ ){0,3}"
                    r"(?:on board|aboard|on|in)\b)"),
        ("founded", r"\b(?:found(?:ed|s|ing)|co-?founded|cofond(?:e|ee|es|er)|co-fond(?:e|ee|er)|"
                    r"fond(?:e|ee|es|ees|er)|creat(?:ed|es|ing)|creee?s?|set(?:ting)? up|"
                    r"start(?:ed|ing|s)? (?:a|his|her|their)|lanc\w* (?:sa|son)|"
                    r"launch(?:ed|es|ing))\b"),
        ("replaced", r"\b(?:replac\w*|succeed\w*|successor|took over|takes over|remplac\w*|"
                     r"succed\w*|succession|successeur|reprend\w*|repris)\b"),
        ("hired", r"\b(?:hire[sd]?|hiring|recruit\w*|recrut\w*|embauch\w*|engag\w*|"
                  r"sign(?:ed|s))\b"),
        ("left", r"\b(?:left|leav\w*|quit\w*|depart\w*|resign\w*|exit\w*|step(?:ped|s)? down|"
                 r"quitt\w*|parti[es]?\b(?! (?:chez|pour|rejoindre))|part(?:ent|ir)\b(?! "
                 r"(?:chez|pour))|demission\w*|lost|lose|loses|perd\w*)\b"),
        ("joined", r"\b(?:join\w*|rejoi\w*|went|moved to|gone to|go|goes|going|"
                   r"head(?:ed|ing) to|parti[es]? (?:chez|pour|"
                   r"rejoindre)|partir (?:chez|pour)|passe[es]? (?:a|chez)|arriv\w*|"
                   r"came (?:to|from))\b"),
        ("leads", r"\b(?:lead[s]?|run[s]?|runs|head[s]?|in charge|dirig\w*|pilot\w*|"
                  r"a la tete|chief|chef)\b"),
        ("works_at", r"\b(?:work(?:s|ed|ing)?|employ\w*|travaill\w*|occup\w*|based|"
                     r"is (?:he|she) (?:at|now)|now)\b"),
        ("moved", r"\b(?:mov\w*|switch\w*|transfer\w*|mouvement\w*|passag\w*)\b"),
)
_RELATIONS = tuple((rel, re.compile(p, re.IGNORECASE)) for rel, p in _RELATION_WORDS)

# (answer type, pattern on the folded question); first match wins.
_TYPE_WORDS: tuple[tuple[AnswerType, str], ...] = (
    ("organisation", r"\bwhat (?:is|was|will|did|does)\b.* (?:start|starting|found|founding|"
                     r"launch|launching|create|creating|set(?:ting)? up|join|joining)\b"),
        ("reason", r"\b(?:why|pourquoi|for what reason|what reasons?|quelles? raisons?|"
                   r"what (?:made|led|drove|prompted)|qu'est-ce qui a pousse|motiv\w*)\b"),
        ("number", r"\b(?:how (?:many|much)|combien|what (?:share|proportion|percentage|"
                   r"number|fraction|amount|sum)|"
                   r"what (?:is|was|were) the (?:amount|sum|value|price|valuation|size)|"
                   r"quel(?:le)? (?:(?:est|etait|sera) (?:le |la |l')?)?(?:part|proportion|"
                   r"pourcentage|nombre|montant|somme|salaire|prime|remuneration|"
                   r"valorisation|prix)|how large|how big|what signing bonus|"
                   r"what (?:salary|price|bonus))\b"),
        ("date", r"(?:^\s*(?:and |et )?(?:when|quand)\b|\bsince when\b|\bdepuis quand\b|"
                 r"\b(?:what|which) (?:date|year|month|day)\b|\bin (?:what|which) year\b|"
                 r"\ben quelle annee\b|\ba quelle date\b|\bquel jour\b|\bquel mois\b|"
                 r"\bwhen\b|\bquand\b)"),
        ("role", r"\b(?:what (?:[\w'-]+ ){0,2}(?:position|title|role|job|post)|"
                 r"which (?:position|title|"
                 r"role|job|post)|quel(?:le)? (?:[\w'-]+ ){0,2}(?:poste|role|fonction|titre|"
                 r"responsabilite)|as what|en tant que quoi|what (?:is|was) \w+(?: \w+)?'s "
                 r"(?:job|title|role|position))\b"),
        ("organisation", r"(?:\b(?:which|what|quel(?:le)?s?|dans quel(?:le)?s?|pour quel(?:le)?s?|"
                         r"chez quel(?:le)?s?) (?:[\w'-]+ ){0,2}(?:company|companies|firm|lab|labs|"
                         r"labo\w*|outlet|media|medias|newspaper|startup|start-up|"
                         r"start-ups|chipmaker|employer|organi[sz]ation|entreprise|"
                         r"entreprises|societe|societes|journal|groupe|group|rival|"
                         r"competitor|concurrent|university|universite|team|equipe)\b|"
                         r"^\s*(?:and |et )?(?:where|ou)\b|\bwhere\b|\bou (?:est|sont|travaill|"
                         r"est-il|est-elle|a-t-il|a-t-elle)\b)"),
        ("people", r"(?:\b(?:which|what|quel(?:le)?s|"
                   r"lesquel(?:le)?s) (?:[\w'-]+ ){0,2}(?:researchers|"
                   r"engineers|employees|people|executives|scientists|co-?founders|founders|"
                   r"hires|leaders|authors|staff|members|chercheurs|chercheuses|ingenieurs|"
                   r"developers|experts|managers|developpeurs|experts|responsables|"
                   r"employes|salaries|personnes|dirigeants|cofondateurs|co-fondateurs|"
                   r"fondateurs|recrues|auteurs|talents|membres|cadres)\b|"
                   r"^\s*(?:who|qui) (?:are|were|sont|etaient)\b|\bname (?:the|all)\b|"
                   r"\bcite[sz]? les\b|\bnomme[sz]? les\b|\bwho (?:all|else)\b|\bqui d'autre\b)"),
        ("person", r"(?:^\s*(?:and |et )?(?:who|whom|qui)\b|\bwho\b|\bavec qui\b|"
                   r"\bwith whom\b|\bqui (?:est|a|etait|dirige)\b|"
                   r"\b(?:which|what|quel(?:le)?) (?:[\w'-]+ ){0,2}(?:researcher|engineer|"
                   r"employee|person|executive|scientist|co-?founder|founder|leader|spokes\w*|ceo|cto|boss|"
                   r"director|chercheur|chercheuse|ingenieur|personne|dirigeant|dirigeante|"
                   r"cofondateur|fondateur|porte-parole|patron|directeur|directrice|pdg)\b)"),
)
_TYPES = tuple((kind, re.compile(p, re.IGNORECASE)) for kind, p in _TYPE_WORDS)

# Attributes an article may simply not state: when the question asks about one, the
# evidence must name it (in either language) or the answer is an honest "my articles don't
# say". Each entry: the attribute's key, the words that ask for it, the words that state it.
_ATTRIBUTES: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (key, re.compile(asks, re.IGNORECASE), re.compile(states, re.IGNORECASE))
    for key, asks, states in (
        ("salary", r"\b(?:salary|salaires?|earn\w*|gagn\w*|remunera\w*|compensation|wage\w*|"
                   r"how much (?:is|was|are|were|does|did) \w+(?: \w+)? (?:paid|make))\b",
         r"\b(?:salary|salaires?|earn\w*|paid|pay\w*|gagn\w*|remunera\w*|compensation|package|"
         r"wage\w*|\$|dollars?|euros?|€|primes?|bonus\w*)"),
        ("investors", r"\b(?:invest\w*|fund(?:s|ed|ing|ers)?|financ\w*|backers?|backed|"
                      r"bailleurs?|levee|raised?)\b",
         r"\b(?:investors?|investisseurs?|backers?|backed by|funded by|financ\w* par|"
         r"soutenu\w* par|led by|mene par|tour de table)\b"),
        ("cto", r"\b(?:cto|chief technology officer|directeur technique|directrice technique)\b",
         r"\b(?:cto|chief technology officer|directeur technique|directrice technique)\b"),
        ("headcount", r"\b(?:how many (?:employees|staff|people work)|combien d'(?:employes|"
                      r"salaries)|headcount|effectifs?)\b",
         r"\b(?:employees|staff|salaries|employes|effectifs?|headcount|personnes)\b"),
        ("name", r"\b(?:(?:the |le )?nom de|what is (?:the )?name|what(?:'s| is) it called|"
                 r"called what|how is it called|comment s'appelle)\b",
         r"\b(?:nom(?:mee?s?)?|baptis\w*|appel\w*|called|named|name|dubbed)\b"),
    )
)

# What a number question measures. Money: a verb or noun of money (raise, pay, deal, invest,
# cost, valuation, salary, offer, bonus, licence fee; levée, payer, déboursé, prime…)
# expects an amount in a currency; "how many people" / « combien de chercheurs » a count.
_MONEY = re.compile(
    r"\b(?:rais(?:e|ed|es|ing)|fundraising|funding|lev(?:e|ee|ees|er|ent|era|ait)|"
    r"pa(?:y|id|ys|ying|yer|ye|yee|yent|yera)|paie\w*|deal|deals|invest\w*|cost\w*|"
    r"cout\w*|debours\w*|valuation|valued|valoris\w*|salary|salaries|salaires?|"
    r"offer(?:ed|s|ing)?|offr\w*|offert\w*|bonus\w*|primes?|licen[cs]e fees?|fees?|"
    r"price|prix|worth|vaut|montant|amount|sum|somme|dollars?|euros?|money|argent|"
    r"spen[dt]\w*|depens\w*|financ\w*|remunera\w*|compensation|package|earn\w*|gagn\w*)\b"
)
_COUNT_ASKED = re.compile(
    r"\b(?:how many|combien d['e ]\s*(?!(?:argent|dollars|euros)\b)[a-z]|"
    r"quel (?:est le )?nombre|what number|number of|nombre de)"
)
_HOW_MUCH = re.compile(
    r"\b(?:how much|combien|what (?:amount|sum)|quel(?:le)? (?:montant|somme))\b"
)

# "Which companies…", "Dans quels laboratoires…": a list of organisations.
_PLURAL = re.compile(
    r"\b(?:which|what|quel(?:le)?s|lesquel(?:le)?s)\b(?: [\w'-]+){0,2} (?:companies|firms|labs|"
    r"laboratoires|entreprises|societes|start-ups|startups|outlets|medias|organi[sz]ations|"
    r"universities|universites|groupes|groups)\b"
)
# "the four researchers", "3 engineers" (not "on 17 May"): a list is asked for.
_COUNT = re.compile(
    r"\b(?:two|three|four|five|six|deux|trois|quatre|cinq|six)\b|"
    r"\b\d+ (?!(?:jan|feb|fev|mar|apr|avr|may|mai|jun|juin|jul|juil|aug|aou|sep|oct|nov|dec))"
    r"[a-z]"
)
_WHO_IS = re.compile(r"^\s*(?:who|qui)\s+(?:is|was|est|etait)\s+")
_UNTIL = re.compile(
    r"\b(?:by|before|until|till|as of|avant|jusqu'(?:en|a|au)|d'ici|des avant)"
    r"(?: (?:the )?(?:end of |early |late |la fin |fin |debut )?(?:\w+))?\s*$"
)
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_NOW = re.compile(
    r"\b(?:now|today|currently|these days|at the moment|presently|aujourd'hui|actuellement|"
    r"maintenant|desormais|a present|en ce moment)\b",
    re.IGNORECASE,
)
_FIRST = re.compile(r"\b(?:first|initially|originally|premier|premiere|d'abord|"
                    r"initialement|au depart)\b", re.IGNORECASE)
_AFTER = re.compile(r"\b(?:after|since|apres|depuis)\s+(?:leaving|quitting|son depart de|"
                    r"avoir quitte|le depart de|departing)?\s*(.+?)(?:[,?]|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    """One reading of a question (and, for a follow-up, of what it completes)."""

    text: str
    language: Language
    answer_type: AnswerType
    relation: Relation | None = None
    names: tuple[str, ...] = ()  # every name as written (people and organisations)
    people: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()  # canonical names from corpus/organisations.yaml
    year: str | None = None  # "in 2024": only that year
    until: str | None = None  # "by 2024", "avant 2024": up to that year
    now: bool = False
    first: bool = False
    after: str | None = None  # "after leaving X": the organisation or event it follows
    attributes: tuple[str, ...] = ()  # asked-about attributes articles may not state
    follow_up: bool = False
    refers_to: str | None = None  # the earlier question a follow-up completes
    # "Who is X?": a role is the best answer, but any sentence describing X answers too.
    describe: bool = False
    plural: bool = field(default=False)
    # "Which approach / what technology / quels modèles…" when no typed answer is asked:
    # the noun the answer is a phrase around.
    head: str | None = None
    # For a number question: "money" (an amount in a currency) or "count"; None: either.
    measure: Literal["money", "count"] | None = None
    counted: str | None = None  # "how many researchers" -> "researchers"

    @property
    def asks_move(self) -> bool:
        return self.relation in ("moved", "joined", "left", "hired", "poached")


def understand(
    question: str,
    organisations: Sequence[Organisation] = (),
    context: Sequence[str] = (),
) -> Question:
    """Read `question`; `context` is the conversation's earlier questions, oldest first.

    A follow-up ("and when?", "et pourquoi ?", "where is he now?") keeps its own answer
    type and relation but takes the people and organisations of the latest earlier
    question that named some."""
    reading = _read(question, organisations)
    if not context or not is_follow_up(question):
        return reading
    for earlier in reversed(context):
        before = _read(earlier, organisations)
        if before.names:
            break
    else:
        return replace(reading, follow_up=True, refers_to=context[-1])
    return replace(
        reading,
        follow_up=True,
        refers_to=earlier,
        names=reading.names or before.names,
        people=reading.people or before.people,
        organisations=reading.organisations or before.organisations,
        relation=reading.relation or before.relation,
        year=reading.year or before.year,
    )


def _read(question: str, organisations: Sequence[Organisation]) -> Question:

    folded = fold(question)
    language = detect_language(question)
    answer_type = _answer_type(folded)
    relation = next((rel for rel, p in _RELATIONS if p.search(folded)), None)
    names = tuple(question_names(question))
    org_spans: list[tuple[int, int]] = []
    first_seen: dict[str, int] = {}
    for org in organisations:
        for match in _pattern(org).finditer(folded):
            first_seen.setdefault(org.name, match.start())
            org_spans.append(match.span())
    orgs = sorted(first_seen, key=lambda name: first_seen[name])  # in the question's order
    people = tuple(
        n for n in names
        if not any(fold(n) in folded[s:e] or folded[s:e] in fold(n) for s, e in org_spans)
        and not any(_names_org(n, o) for o in organisations)
        and len(n.split()) >= 2
    )
    year = _YEAR.search(question)
    until = None
    if year and _UNTIL.search(fold(question[: year.start()])):
        # "by February 2026" bounds the time, it does not ask about that year alone.
        until, year = year.group(1), None
    after = _AFTER.search(folded)
    attributes = tuple(key for key, asks, _ in _ATTRIBUTES if asks.search(folded))
    measure = _measure(folded) if answer_type == "number" else None
    if measure == "money":
        # "How much did X raise?" asks the amount, not who the investors are.
        attributes = tuple(a for a in attributes if a != "investors")
    if answer_type == "person" and _COUNT.search(folded):
        answer_type = "people"
    # "Who is X?" about a named person asks what X does.
    describe = False
    if answer_type == "person" and people and _WHO_IS.match(folded) and len(
        folded.split()) <= len(people[0].split()) + 4:
        answer_type, describe = "role", True
    # "Who hired / poached X?" asks for the organisation when X is a person.
    if answer_type == "person" and people and relation in ("hired", "poached") and re.match(
        r"^\s*(?:and |et )?(?:who|qui)\b", folded
    ) and not orgs:
        answer_type = "organisation"
    return Question(
        text=question,
        language=language,
        answer_type=answer_type,
        relation=relation,
        names=names,
        people=people,
        organisations=tuple(orgs),
        year=year.group(1) if year else None,
        until=until,
        describe=describe,
        now=bool(_NOW.search(folded)),
        first=bool(_FIRST.search(folded)),
        after=after.group(1).strip() if after and after.group(1).strip() else None,
        attributes=attributes,
        plural=answer_type == "people" or bool(_PLURAL.search(folded)),
        measure=measure,
        head=_head_noun(question) if answer_type == "other" else None,
        counted=_counted(folded) if measure == "count" else None,
    )


_WHICH_NOUN = re.compile(
    r"\b(?:which|what|quel(?:le)?s?|lequel|laquelle)\s+((?:[\w-]+\s+){0,2}[\w-]+)",
    re.IGNORECASE,
)
_NOT_HEAD = frozenset(
    "did does do is was are were has have had will would can could de du des d la le les l "
    "a an the est sont etait ont a-t-il a-t-elle".split()
)


def _head_noun(question: str) -> str | None:
    """'Which research approach did X champion?' -> 'approach'; 'quels modèles' -> 'modeles'
    (the words after which/what/quel, up to a verb, an article or a name)."""
    match = _WHICH_NOUN.search(question)
    if match is None:
        return None
    kept: list[str] = []
    for word in match.group(1).split():
        if fold(word) in _NOT_HEAD or word[0].isupper():
            break
        kept.append(fold(word))
    return kept[-1] if kept and len(kept[-1]) > 2 else None


# "When did X leave Y, and who took over?" / « Quand X a-t-il quitté Y, et qui lui a
# succédé ? »: a second question joined by "and"/"et" to the first.
_SECOND_PART = re.compile(
    r"(?:,\s*|\s+)(?=(?:and|et)\s+(?:who|whom|what|which|when|where|why|how|qui|que|quoi|"
    r"quel|quelle|quels|quelles|quand|où|pourquoi|comment|combien)\b)",
    re.IGNORECASE,
)


def question_parts(question: str) -> tuple[str, ...]:
    """The questions a two-part question asks, the second one kept with its "and" so that
    it reads as a follow-up of the first; one part when it asks one thing."""
    match = _SECOND_PART.search(question)
    if match is None or match.start() < 8:
        return (question,)
    first, second = question[: match.start()].strip(), question[match.end():].strip()
    if len(second.split()) < 3:
        return (question,)
    return (first.rstrip(" ,;") + "?", second)


_COUNTED = re.compile(
    r"\b(?:how many|combien d['e ]\s*|nombre d['e ]\s*|number of)\s*([a-z][\w-]+)"
)


def _counted(folded: str) -> str | None:
    match = _COUNTED.search(folded)
    return match.group(1) if match else None


def _measure(folded: str) -> Literal["money", "count"] | None:
    """What a number question measures: a count when it asks how many of something, money
    when it asks how much with a word of money, else either."""
    if _COUNT_ASKED.search(folded):
        return "count"
    if _MONEY.search(folded) and (_HOW_MUCH.search(folded) or "quel" in folded
                                  or "what" in folded):
        return "money"
    return None


def _answer_type(folded: str) -> AnswerType:
    for kind, pattern in _TYPES:
        if pattern.search(folded):
            return kind
    return "other"


def _names_org(name: str, org: Organisation) -> bool:
    return fold(name) in _folded_names(org)


@lru_cache(maxsize=1_024)
def _pattern(org: Organisation) -> re.Pattern[str]:
    return org.pattern()


@lru_cache(maxsize=1_024)
def _folded_names(org: Organisation) -> frozenset[str]:
    return frozenset(fold(n) for n in org.all_names)


def relation_pattern(relation: Relation) -> re.Pattern[str]:
    """The words (folded, both languages) that say `relation`."""
    return next(p for rel, p in _RELATIONS if rel == relation)


def attribute_stated(attribute: str, text: str) -> bool:
    """Whether `text` states the asked-about attribute (its words, in either language)."""
    for key, _, states in _ATTRIBUTES:
        if key == attribute:
            return bool(states.search(fold(text)))
    return True


# -- names in a question (the one home of name spotting) ---------------------------------
# Capitalised words that are not names: question words, months, titles, acronyms of roles.
_NOT_NAMES = frozenset(
    """who what which where when why how whom whose is are was were did does do has have had
    can could would should will the a an in on at of for and or but according tell give list
    qui que quoi quel quelle quels quelles où quand pourquoi comment combien est-ce le la les
    un une des du de en au aux et ou dans chez pour selon est sont a-t-il a-t-elle
    january february march april may june july august september october november december
    janvier février mars avril mai juin juillet août septembre octobre novembre décembre
    monday tuesday wednesday thursday friday saturday sunday i ai ia ceo cto cfo vp pdg phd
    us usa uk eu""".split()
)
_NAME = re.compile(r"(?<![\w'’])[A-ZÀ-ÖØ-Þ][\w]*(?:[-'’][\w]+)*|\b[a-z]+[A-Z]\w*")


def question_names(question: str) -> list[str]:
    """Names in the question (people, companies, labs): runs of capitalised words.

    The first word of a sentence is capitalised anyway, so it counts only when its shape
    says name (OpenAI, WSJ, xAI)."""
    names: list[str] = []
    run: list[str] = []
    last_end = -1
    for match in _NAME.finditer(question):
        word = re.sub(r"['’]s$", "", match.group())
        before = question[: match.start()].rstrip()
        sentence_start = not before or before[-1] in '.!?:;«"“'
        if (
            word.casefold() in _NOT_NAMES
            or len(word) < 2
            or (sentence_start and not re.search(r".[A-Z]|\d", word))
        ):
            if run:
                names.append(" ".join(run))
                run = []
            continue
        if run and question[last_end : match.start()].strip(" -") != "":
            names.append(" ".join(run))
            run = []
        run.append(word)
        last_end = match.end()
        if word != match.group():  # a possessive ends the name: "Meta's LLM"
            names.append(" ".join(run))
            run = []
    if run:
        names.append(" ".join(run))
    return names
