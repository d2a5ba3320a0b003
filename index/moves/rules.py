"""The words the move extractor reads French and English news with.

Word lists and patterns (cues, modality, roles, dates), and the word-level readers built on
them: folding with offsets back to the original text, spotting organisations and outlets,
and spotting people's names. Every pattern runs on folded text (lower case, no accents: see
`index.text.fold`), is anchored on whole words and uses only bounded repetition, so that no
input, however long or odd, makes a regex backtrack for long.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from index.organisations import Organisation
from index.text import STOP_WORDS, fold
from index.types import MoveKind

# How a cue relates its words to the move:
#   join     subject person(s) before, destination organisation after ("X a rejoint ORG")
#   leave    subject person(s) before, origin organisation after ("X a quitté ORG")
#   hire     organisation before hires person(s) after ("ORG a recruté X"); a bare French
#            participle ("X, débauchés") or a passive ("recruté par ORG") has them before
#   hire_n   a hiring noun with its person after ("l'embauche de X")
#   depart_n a departure noun with its person after ("le départ de X")
#   found    subject person(s) before, organisation founded after ("X a cofondé ORG")
#   found_p  passive founding: organisation before, person(s) after ("ORG, founded by X")
#   found_n  founder noun in apposition ("ses cofondateurs, X et Y", "X, cofondateur de ORG")
CueType = Literal["join", "leave", "hire", "hire_n", "depart_n", "found", "found_p", "found_n"]
SUBJECT_CUES = frozenset({"join", "leave", "found"})


@dataclass(frozen=True)
class CueRule:
    type: CueType
    kind: MoveKind
    pattern: str


_W = r"(?<!\w)"  # start of a word
_E = r"(?!\w)"  # end of a word

# Order matters only between rules that can match at the same position: longer first.
CUE_RULES: tuple[CueRule, ...] = (
    CueRule("hire_n", "hired", r"l['’]embauche d(?:e|u|['’])|le recrutement d(?:e|u|['’])"
            r"|la nomination d(?:e|u|['’])"
            r"|l['’]arrivee d(?:e|u|['’])|the (?:hiring|hire|recruitment|appointment) of"),
    CueRule("depart_n", "left", r"(?:le |du |au )?depart (?:de|du|d['’])|la demission d(?:e|['’])"
            r"|the (?:departure|exit|resignation) of"),
    CueRule("leave", "announced", r"(?:annonce|annoncer|annoncant|announced?|announcing) "
            r"(?:son|sa|leur|his|her|their) (?:depart|demission|departure|resignation|exit)"),
    CueRule("leave", "left", r"claque(?:r)? la porte|tire sa reverence|stepp(?:ed|ing) down"
            r"|steps? down|walked out"),
    CueRule("found_p", "joined", r"(?:co-?)?(?:fondee?s?|creee?s?|founded|started)"
            r"(?: (?:en|in) \d{4}| (?:a|in) [a-z\-]+){0,2} (?:par|by)"),
    CueRule("found", "joined", r"(?:a|ont|avait|avaient|ayant) (?:co-?)?(?:fonde|cree)"
            r"|co-?fonde|(?:co-?)?found(?:ed|s)?(?= (?!by))"),
    CueRule("found_n", "joined", r"co-?fondat(?:eur|rice)s?|fondat(?:eur|rice)s?"
            r"|co-?founders?|founders?"),
    CueRule("join", "joined", r"rejoin(?:dre|t|ts|s|gnent|gnait|gnaient|gnant|dra|dront|drait"
            r"|draient|gne)|(?:arrive|arrivee|arrives|debarque|debarquee"
            r"|(?<!ans )(?<!mois )(?<!annees )passe|(?<!ans )(?<!mois )(?<!annees )passee)s? chez"
            r"|(?:est|sont) partie?s? (?:chez|pour)|join(?:s|ed|ing)?|(?:moved?|moving|moves)"
            r" to|defect(?:ed|s)? to|(?:revenue?s?|revient|reviennent|revenir|retournee?s?"
            r"|retourner) chez|return(?:s|ed|ing)? to|rejoin(?:s|ed|ing)?|(?:went|goes|going|go"
            r"|came|comes|coming) back to|switch(?:es|ed|ing)? to|jump(?:s|ed|ing)? (?:ship )?to"
            r"|(?:came|comes|coming) to|(?:(?:is|are) )?now (?:at|with)"
            r"|(?:(?:est|sont) )?(?:desormais|aujourd['’]hui|maintenant) chez"
            r"|retour chez|will (?:lead|head|run)|va diriger|dirigera|prendra la direction d"
            r"|prend(?:ra|re)? la tete d(?:e|u|['’])|takes? the helm"
            r" (?:of|at)|took the helm (?:of|at)|cap sur"),
    CueRule("leave", "left", r"quitt(?:e|es|ee|ees|er|ent|era|eront|erait|ait|aient|ant)"
            r"|demission(?:ne|nee|nes|nees|naire|naires|ner|nent)|left|leaves|leaving"
            r"|quit(?:s|ting)?|depart(?:s|ed|ing)?|resign(?:s|ed|ing)?|exit(?:s|ed)?"
            r"|s['’]en (?:va|vont|aller|allait|allaient|est allee?|sont alle(?:e|s|es)?)"
            r"|departure from|exit from|parti(?:e|s|es)?(?= (?:rejoindre|pour|chez|fonder|creer"
            r"|monter|lancer|en|le|la|au|cap)\b)|(?:ont|a) officialise (?:leur|son|sa) depart"),
    CueRule("hire", "poached", r"debauch(?:e|es|ee|ees|er|ent|ait)|poach(?:es|ed|ing)?"
            r"|lur(?:e|es|ed|ing)(?: away)?"),
    CueRule("hire", "hired", r"recrut(?:e|es|ee|ees|er|ent|ait|era)"
            r"|embauch(?:e|es|ee|ees|er|ent|ait)|(?<!s['’])(?<!se )engag(?:e|es|ee|ees|er|ent)"
            r"(?! (?:a|dans|pour|sur)\b)|hir(?:e|es|ed|ing)|recruit(?:s|ed|ing)?"
            r"|nomm(?:e|ee|es|ees)(?= (?!par\b)\w)|appointed|snapped up|brought on|brings? on"
            r"|bringing on|takes? on|took on|taking on|attir(?:e|es|ee|ees|er|ent|ait)"
            r"|attract(?:s|ed|ing)?"),
)


def _cue_regex() -> re.Pattern[str]:
    # One word-start test around the whole alternation: four times faster than one per rule.
    parts = [f"(?P<c{i}>{rule.pattern})" for i, rule in enumerate(CUE_RULES)]
    return re.compile(f"{_W}(?:{'|'.join(parts)}){_E}")


CUES = _cue_regex()
# Joining cues common in other senses ("came to believe", "now at 40 %"): they count only
# with an organisation right after them.
TIGHT_JOIN = re.compile(r"(?:came|comes|coming) to|(?:(?:is|are) )?now (?:at|with)"
                        r"|(?:(?:est|sont) )?(?:desormais|aujourd['’]hui|maintenant) chez")
# Cues that are English words spelled like accented French ones ("depart" vs "départ"):
# they count only when the original text has no accent there.
ASCII_ONLY_CUES = re.compile(r"depart(?:s|ed|ing)?")

# A cue right after a negation ("n'a pas quitté", "did not leave", "personne ne quitte")
# states that nothing happened.
NEGATION = re.compile(
    r"(?<!\w)(?:ne|pas|jamais|not|never|nobody|aucun|aucune|longer)(?!\w)|(?<!\w)n['’]|n't(?!\w)"
)
AUXILIARY = re.compile(
    r"(?<!\w)(?:a|ont|avait|avaient|aura|auront|aurait|auraient|avoir|ayant|has|have|had"
    r"|having)(?: \w+){0,2} ?$"
)
# An infinitive whose subject is someone the sentence's subject acts upon: "contacté des
# chercheurs pour les convaincre de rejoindre Meta", "to convince them to join".
OBJECT_OF_PERSUASION = re.compile(
    r"(?:(?<!\w)(?:les|leur|lui|l['’])\s*\w+\s+(?:de|d['’]|a)|(?<!\w)(?:them|him|her)\s+to)\s*$"
)
# A sentence opening on a subject pronoun continues with the previous sentence's person.
# So does one opening on an epithet: "L'ingénieure", "The researcher", "Ce dernier".
SUBJECT_PRONOUN = re.compile(
    r"^(?:(?:his|her|son|sa)(?= (?:[a-z]+ )?(?:switch|move|jump|departure|exit|arrival|return"
    r"|arrivee|depart|retour|passage|demission|resignation)(?!\w))|il|elle|he|she|ce dernier"
    r"|cette derniere|the latter"
    r"|(?:l['’]|le |la |the )"
    r"(?:ex-|ancien(?:ne)? |former |new )?(?:ingenieure?|chercheu(?:r|se)|researcher|engineer"
    r"|scientist|scientifique|dirigeante?|executive|entrepreneu(?:r|se)|co-?fondat(?:eur|rice)"
    r"|co-?founder|fondat(?:eur|rice)|founder|specialiste|experte?|pdg|ceo|cto|directeur"
    r"|directrice|veteran|informaticienne?|mathematicienne?|manager))(?!\w)"
)
# Organisations that fund others: never "the startup" an article speaks of.
INVESTOR_NAME = re.compile(r"(?<!\w)(?:capital|partners|ventures|fund|fonds|investments?)$")
# A list of people introduced by a sentence about moves ("Les départs, dans l'ordre :",
# "Those who left:"): each item that names someone and states no move of its own is one.
LIST_ITEM = re.compile(r"^\s*(?:[-–—•*]|\d{1,2}[.)])\s")
LIST_HEADER = re.compile(
    r"(?<!\w)(?:(?P<out>depart\w*|quitt\w*|left|leav\w*|exits?|departures?|defections?"
    r"|demission\w*|resign\w*)|arriv\w*|recru\w*|hires?|hiring|recruits?|joined|rejoint\w*"
    r"|nouvelles? recrues?|new hires?)(?!\w)"
)
SOURCE_OPENING = re.compile(r"\s*(?:selon|according to|d['’]apres)(?!\w)")
# A source named before its news ("Selon Siècle Digital, X ...") is no mover.
ATTRIBUTION = re.compile(r"(?<!\w)(?:selon|according to|d['’]apres|per|says|dixit)\s$")
# Words before a hiring verb that make it a noun ("the hires come after ...").
NOUN_BEFORE = re.compile(r"(?<!\w)(?:the|these|those|such|les|des|ces|new|nouvelles?|of|de)\s$")
# "Ce dernier", "the latter": the last person named, not the first.
LATTER = re.compile(r"^(?:ce dernier|cette derniere|the latter)(?!\w)")
# An organisation as a subject pronoun, when no person is in view: "Elle a débauché X".
ORG_PRONOUN = re.compile(r"^(?:elle|il|it)(?= (?:a|avait|vient|has|had|is|was|will)(?!\w))")
# A past workplace stated without a move: "a travaillé chez X", "spent six years at X".
WORKED_AT = re.compile(
    r"(?<!\w)(?:(?:d['’]abord|first|also|notamment|longtemps) )?(?:travaille|worked|working"
    r"|work|a passe [\w\- ]{1,20}?|avait passe [\w\- ]{1,20}?|spent [\w\- ]{1,20}?"
    r"|spending [\w\- ]{1,20}?|(?:ans|annees|mois) passee?s?)(?: (?:d['’]abord|first|also"
    r"|notamment))? (?:chez|at|for|pour|au sein de) $"
)
# An organisation named by what it is ("the startup", "l'entreprise"); `kind` marks those
# that are startups (most often the one the article introduced).
ORG_EPITHET = re.compile(
    r"(?<!\w)(?:(?P<kind>the (?:startup|start-up)|(?:la|cette) (?:start-up|startup|jeune pousse))"
    r"|the (?:company|firm|lab|group)|l['’]entreprise|(?:la|cette) (?:societe|firme|licorne)"
    r"|le (?:groupe|laboratoire|labo))(?!\w)"
)
# "Prior to joining X, he was at Y", "Avant de rejoindre X, elle a passé dix ans chez Y":
# the sentence's subject moved from Y to X.
PRIOR_JOIN = re.compile(
    r"^(?:prior to|before|avant d['’]|avant de|avant d['’]avoir) ?(?:joining|rejoindre|rejoint"
    r"|intégrer|integrer|moving to|coming to|arriver chez|arriving at)\s+"
)
# "Arrivée chez X en 2023 après un passage chez Y, l'ingénieure ...", "Recruited by X from
# Y in 2024, she ...": an opening clause about the subject after the comma.
OPENING_JOIN = re.compile(
    r"^(?:arrivee?s?|arrives?|debarquee?s?|recrutee?s?|embauchee?s?|debauchee?s?|nommee?s?"
    r"|hired|recruited|poached|appointed|having joined|apres avoir rejoint|after joining)"
    r"(?: (?:chez|at|by|par|a|au sein de|to))?\s+"
)
OPENING_ORIGIN = re.compile(
    r"(?<!\w)(?:apres un passage (?:chez|par)|apres (?:\w+ ){1,3}(?:chez|a|au sein de)"
    r"|after (?:a stint|\w+ years?) at|from|en provenance de|venue? de(?: chez)?)\s+$"
)
# A relative clause on a workplace saying when and from where the person came, or where
# they went: "chez X, qu'elle avait rejointe en 2019 après un passage chez Y", "at X, which
# he joined from Y", "X, qu'elle avait quitté en 2022 pour Y".
RELATIVE_JOIN = re.compile(
    r"\s*,\s*(?:qu['’](?:il|elle)|que|which (?:he|she)|where (?:he|she))\s+(?:l['’])?"
    r"(?:avait|had|a|has)\s+(?:(?P<join>rejointe?s?|joined|integree?|arrived)"
    r"|(?P<left>quittee?s?|left))(?!\w)"
)
PLUPERFECT = re.compile(r"(?<!\w)(?:avait|avaient|had)(?: \w+)? $")
RETURN = re.compile(r"(?<!\w)(?:return\w*|back to|revien\w*|revenu\w*|retour\w*|rejoined)(?!\w)")
PLUPERFECT_CUE = re.compile(r"(?:avait|avaient|had)(?!\w)")  # "avait cofondé" is one cue
PASSIVE_BEFORE = re.compile(r"(?<!\w)(?:ete|been|was|were|is|are|est|sont|etre|be|being)\s$")
PASSIVE_AFTER = re.compile(r"^ (?:par|by)(?!\w)")
# Sentence-level modality: a rumour outranks a confirmation, which outranks an announcement.
RUMOUR = re.compile(
    r"(?<!\w)(?:on dit que|selon (?:des|les|la) rumeurs?|des rumeurs|on murmure"
    r"|serai(?:t|ent) sur le point|pourrai(?:t|ent)(?: \S+){0,3} (?:rejoindre|quitter)"
    r"|s['’]appreterai(?:t|ent)|devrai(?:t|ent) (?:rejoindre|quitter)|is said to|are said to"
    r"|reportedly|(?:is|are) rumou?red|rumou?rs? (?:say|suggest|has it)|in talks to"
    r"|(?:could|may|might) (?:join|leave)|(?:is|are) expected to (?:join|leave))(?!\w)"
)
CONFIRMED = re.compile(
    r"(?<!\w)confirm\w{0,6} (?:l['’]embauche|le depart|le recrutement|l['’]arrivee"
    r"|la demission|(?:son|sa|leur) (?:depart|demission|arrivee)|(?:the|his|her|their) "
    r"(?:hiring|hire|departure|exit|appointment|move|resignation)|that (?:he|she|they) "
    r"(?:has|had|have|is|was|were|would) (?:left|joined|leaving|joining|leave|join))"
)
ANNOUNCED = re.compile(
    r"(?<!\w)(?:annonc\w{0,4} (?:quitter|rejoindre|(?:son|sa|leur) (?:depart|demission|arrivee)"
    r"|qu['’](?:il|elle|ils|elles) (?:quitt|rejoi))|s['’]appret\w{0,4} a (?:quitter|rejoindre)"
    r"|announc\w{0,3} (?:(?:his|her|their) (?:departure|resignation|exit)|(?:that )?"
    r"(?:he|she|they) (?:is|was|will|would|had) )|(?:is|are) set to (?:leave|join)"
    r"|plans? to (?:leave|join)|va (?:quitter|rejoindre)|will (?:leave|join))"
)

# A group of unnamed people who move together ("Two engineers have left X", "le groupe a
# recruté les cofondateurs de Y"): the next sentence names them.
GROUP = re.compile(
    r"(?<!\w)(?:(?:two|three|four|five|six|several|a (?:pair|trio|handful) of|deux|trois|quatre"
    r"|cinq|six|plusieurs|une poignee d['’]|une poignee de)\s+(?:[\w\-]+\s+){0,2}|(?:the|its"
    r"|their|les|ses|leurs)\s+(?:(?:two|three|deux|trois)\s+)?)(?:engineers|researchers"
    r"|scientists|employees|staffers|executives|founders|co-?founders|ingenieur(?:e?s)"
    r"|chercheu(?:rs|ses)|scientifiques|salaries|employes|dirigeants|cadres|co-?fondateurs"
    r"|fondateurs)(?!\w)"
)
# A sentence that continues the previous one's list of recruits ("Ainsi que X et Y, ...").
CONTINUATION = re.compile(
    r"^(?:ainsi que|de meme que|tout comme|sans oublier|idem pour|as well as|along with"
    r"|likewise)(?!\w)"
)
# "ses cofondateurs", "its co-founders": the organisation is named before.
POSSESSIVE_BEFORE = re.compile(r"(?<!\w)(?:ses|son|sa|leurs?|its|their) $")
# Words after a departure cue beyond which its organisation is no longer the one left.
LEAVE_WINDOW_END = re.compile(r"(?<!\w)(?:pour|for|to|afin|apres|after)(?!\w)|[,;:]")
FORMER = re.compile(
    r"(?<!\w)(?:ancien|ancienne|anciens|anciennes|ex|former|formerly|previously|precedemment"
    r"|auparavant|naguere|until recently|jusqu['’]alors|jusqu['’]ici|jusqu['’]a present"
    r"|until now|up to now)(?!\w)"
)
# People in these roles speak about moves; they are never the ones moving.
SPEAKER_ROLE = re.compile(
    r"porte-parole|spokes|journalist|reporter|redact|editor|analyst|correspondan|chroniqu"
)
# Subjects are never introduced by these ("avec l'ancien VP, Barret Zoph, ou rejoindre").
OBJECT_PREPOSITION = re.compile(
    r"(?<!\w)(?:avec|with|alongside|aupres de|aux cotes de|par|by|selon|according to|to|pour"
    r"|for|de|d['’]|du|chez|at|of|from|contre|against)\s*$"
)
COMPANION = re.compile(r"(?<!\w)(?:avec|with|alongside|aupres de|aux cotes de)(?!\w)")
# Words that open a relative clause or a quotation end an apposition's role.
RELATIVE = re.compile(r"(?<!\w)(?:qui|que|dont|ou|who|which|whom|whose|where|when)(?!\w)")

# Gap between two people of one list: "A, B", "A et B", "A, and B", "A, ROLE, et de B".
LIST_GAP = re.compile(
    r"^(?:\s*,\s*|\s+)(?:(?:et|and|ou|or|&)\s+)?(?:(?:de|d['’]|du)\s*)?$"
    r"|^\s*,[^,;:()«»\"“”]{1,80},\s*(?:et|and)\s+(?:(?:de|d['’]|du)\s*)?$"
    r"|^\s*,?\s*(?:et|and)\s+(?:its|their|his|her|son|sa|ses|leur)\s[^,;:()«»\"“”]{1,80},\s*$"
)
# Co-founders named after the founding ("a cofondé X avec Y", "co-founded X with Y").
COMPANIONS_AFTER = re.compile(r"(?:,\s*)?(?:and\s+|et\s+)?(?:with|avec|alongside)\s+$")
PRE_DESCRIPTOR_END = re.compile(
    r",\s*(?:(?:dont|including|notamment|among them|parmi lesquels|soit)\s+)?$|:\s*$"
)
POST_APPOSITION = re.compile(r"^\s*,\s*([^,;:()«»\"“”]{1,140}?)\s*(?=[,;:()«»\"“”]|$)")
ROLE_POSITION = re.compile(r"(?<!\w)(?:poste|role|fonctions?|position|job) (?:de|d['’]|as|of) ")
QUOTES = re.compile(r"«[^»]{0,600}»|“[^”]{0,600}”|\"[^\"]{0,600}\"")
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+")

ROLE_WORDS = frozenset(
    """chercheur chercheuse chercheurs chercheuses ingenieur ingenieure ingenieurs ingenieures
    directeur directrice directeurs directrices vice-president vice-presidente vice-presidents
    president presidente pdg dg ceo cto cfo coo cso cio vp svp evp responsable responsables
    developpeur developpeuse developpeurs fondateur fondatrice fondateurs cofondateur
    cofondatrice cofondateurs co-fondateur co-fondatrice co-fondateurs scientifique
    scientifiques cadre cadres dirigeant dirigeante dirigeants chef cheffe patron patronne
    professeur professeure employe employee employes employees salarie salariee salaries membre
    membres architecte porte-parole auteur auteure auteurs coauteur coauteurs expert experte
    experts specialiste specialistes doctorant doctorante head chief director directors
    vice researcher researchers engineer engineers scientist scientists lead leader manager
    founder founders co-founder co-founders cofounder cofounders professor spokesperson
    spokeswoman spokesman executive executives staffer staffers member fellow developer
    developers architect analyst reporter journalist journaliste editor redacteur redactrice
    correspondent correspondant correspondante officer intern stagiaire""".split()
)
# Words that may stand before a role word without being part of it ("l'influent chercheur").
NOT_MODIFIERS = frozenset(
    """influent influente celebre prestigieux prestigieuse eminent eminente jeune brillant
    brillante talentueux nouveau nouvelle nouveaux ancien ancienne anciens former new star
    renowned top prominent famous previously recemment recently deux trois quatre cinq six
    premier premiere deuxieme troisieme second third first two three four five l d un une des
    le la les the a an son sa ses his her their its ex""".split()
)
FILLERS = frozenset(
    """son sa ses leur leurs its their the le la l les laboratoire labo lab equipe equipes team
    teams groupe group division unite pole start-up startup societe entreprise company firm
    firme geant maison""".split()
)
PREPOSITIONS = frozenset("de d du des chez at of a au aux for with within in".split())

# Capitalised words that never belong to a person's name.
PRODUCTS = frozenset(
    """llama chatgpt gpt phi gemini claude grok copilot bard sora dall-e midjourney
    metamate whatsapp instagram android alpaca vicuna openllama openassistant blenderbot
    galactica opt hyperion prometheus linkedin siri alexa bing windows azure iphone codex
    chat""".split()
)
COMMON_CAPITALISED = frozenset(
    """intelligence artificielle artificial generale general generative labs lab research
    recherche university universite institute institut group groupe news times journal street
    valley silicon monde paris londres london francisco san new york california californie
    europe france chine china etats-unis united states america amerique washington inc corp
    lundi mardi mercredi jeudi vendredi samedi dimanche monday tuesday wednesday thursday
    friday saturday sunday janvier fevrier mars avril mai juin juillet aout septembre octobre
    novembre decembre january february march april may june july august september october
    november december meanwhile separately however also still now today yesterday recently
    earlier later last next this that these those then when while after before since although
    though despite ironically finally indeed moreover furthermore according dr mr mrs ms mme
    hier aujourd demain ensuite enfin desormais toutefois cependant pourtant parallelement
    ironiquement interroge interrogee selon""".split()
)
PARTICLES = frozenset("de du des van von der den da del della di le la bin ben al".split())

_FR_MONTHS = ("janvier fevrier mars avril mai juin juillet aout septembre octobre novembre "
              "decembre").split()
_EN_MONTHS = ("january february march april may june july august september october november "
              "december").split()
MONTHS = {name: i % 12 + 1 for i, name in enumerate(_FR_MONTHS + _EN_MONTHS)}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_DAY = re.compile(rf"{_W}(1er|\d{{1,2}}) ({_MONTH})(?: (\d{{4}}))?{_E}")
_DATE_MDY = re.compile(rf"{_W}({_MONTH}) (\d{{1,2}})(?:st|nd|rd|th)?(?:,? (\d{{4}}))?{_E}")
_DATE_MONTH_YEAR = re.compile(rf"{_W}({_MONTH}) (?:de |of )?(\d{{4}}){_E}")
_DATE_MONTH = re.compile(
    rf"{_W}(?:en|des|depuis|fin|debut|mi-|mois de|in|since|early|late|end of) ({_MONTH}){_E}"
)
_DATE_YEAR = re.compile(r"(?<![\w.,-])(19[5-9]\d|20\d\d)(?![\w-]|[.,]\d)")


# Dates relative to the article's: (pattern, unit, offset).
_RELATIVE: tuple[tuple[re.Pattern[str], str, int], ...] = tuple(
    (re.compile(rf"{_W}(?:{pattern}){_E}"), unit, offset) for pattern, unit, offset in (
        (r"le mois dernier|le mois precedent|last month|the previous month", "month", -1),
        (r"ce mois-ci|earlier this month|this month|plus tot ce mois", "month", 0),
        (r"le mois prochain|next month", "month", 1),
        (r"l['’]an dernier|l['’]annee derniere|l['’]an passe|last year|the previous year"
         r"|a year ago|il y a un an", "year", -1),
        (r"cette annee|this year|earlier this year|en debut d['’]annee", "year", 0),
        (r"hier|yesterday", "day", -1),
        (r"la semaine derniere|last week", "day", -7),
    ))


def relative_date(folded: str, published: str | None) -> str | None:
    """A date the sentence gives relative to the article's ("le mois dernier", "last
    year"), resolved against `published` (ISO), as precise as the phrase: None without one."""
    if not published or not re.match(r"\d{4}-\d{2}-\d{2}", published):
        return None
    try:
        day = dt.date.fromisoformat(published[:10])
    except ValueError:
        return None
    for pattern, unit, offset in _RELATIVE:
        if not pattern.search(folded):
            continue
        if unit == "year":
            return f"{day.year + offset:04d}"
        if unit == "month":
            months = day.year * 12 + day.month - 1 + offset
            return f"{months // 12:04d}-{months % 12 + 1:02d}"
        return (day + dt.timedelta(days=offset)).isoformat()
    return None


def find_date(folded: str, surface: Callable[[int, int], str], year: int | None) -> str | None:
    """The most precise date the sentence states, as ISO; a day or month without a year
    takes the article's year, or gives nothing when the article has none.

    `surface(start, end)` returns the original text of a folded span: English month names
    count only capitalised ("May 2024", not "may join").
    """
    found: list[tuple[int, int, str]] = []  # (precision, -position, iso)

    def month_of(name: str, start: int, end: int) -> int | None:
        month = MONTHS.get(name)
        if month is None:
            return None
        if name in _EN_MONTHS and name not in _FR_MONTHS and not surface(start, end)[:1].isupper():
            return None
        return month

    for m in _DATE_DAY.finditer(folded):
        month = month_of(m.group(2), *m.span(2))
        day = 1 if m.group(1) == "1er" else int(m.group(1))
        y = int(m.group(3)) if m.group(3) else year
        if month and y and _valid(y, month, day):
            found.append((4, -m.start(), f"{y:04d}-{month:02d}-{day:02d}"))
    for m in _DATE_MDY.finditer(folded):
        month = month_of(m.group(1), *m.span(1))
        day = int(m.group(2))
        y = int(m.group(3)) if m.group(3) else year
        if month and y and _valid(y, month, day):
            found.append((4, -m.start(), f"{y:04d}-{month:02d}-{day:02d}"))
    for m in _DATE_MONTH_YEAR.finditer(folded):
        month = month_of(m.group(1), *m.span(1))
        if month and 1950 <= int(m.group(2)) <= 2099:
            found.append((3, -m.start(), f"{int(m.group(2)):04d}-{month:02d}"))
    if year:
        for m in _DATE_MONTH.finditer(folded):
            month = month_of(m.group(1), *m.span(1))
            if month:
                found.append((2, -m.start(), f"{year:04d}-{month:02d}"))
    for m in _DATE_YEAR.finditer(folded):
        found.append((1, -m.start(), m.group(1)))
    return max(found)[2] if found else None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


# --- folded text with offsets back to the original ----------------------------------------

# Code point -> its one-character fold, for str.translate; None for characters whose fold
# is longer or empty ("…", "ß", zero-width, combining marks), which need offset maps.
_FOLD_TABLE: dict[int, str | None] = {}
_FOLD_TABLE_MAX = 50_000


def _one_char_folds(text: str) -> bool:
    """Learn the folds of `text`'s characters; True when each folds to exactly one."""
    ok = True
    for char in set(text):
        code = ord(char)
        if code not in _FOLD_TABLE:
            if len(_FOLD_TABLE) >= _FOLD_TABLE_MAX:
                return False
            folded = fold(char)
            _FOLD_TABLE[code] = folded if len(folded) == 1 else None
        ok = ok and _FOLD_TABLE[code] is not None
    return ok


@lru_cache(maxsize=8192)
def fold_word(word: str) -> str:
    return fold(word)


class FoldedText:
    """A string and its fold, with offset maps between them (none when the fold is 1:1,
    the usual case, which `str.translate` then computes in C)."""

    def __init__(self, orig: str) -> None:
        self.orig = orig
        self._f2o: list[int] | None = None
        self._o2f: list[int] | None = None
        if orig.isascii():
            self.folded = orig.lower()
        elif _one_char_folds(orig):
            self.folded = orig.translate(_FOLD_TABLE)
        else:
            pieces: list[str] = []
            f2o: list[int] = []
            o2f: list[int] = []
            for i, char in enumerate(orig):
                o2f.append(len(f2o))
                folded = fold(char)
                pieces.append(folded)
                f2o.extend([i] * len(folded))
            o2f.append(len(f2o))
            self.folded, self._f2o, self._o2f = "".join(pieces), f2o, o2f

    def to_orig(self, start: int, end: int) -> tuple[int, int]:
        if self._f2o is None:
            return start, end
        if end <= start:
            o = self._f2o[start] if start < len(self._f2o) else len(self.orig)
            return o, o
        return self._f2o[start], self._f2o[end - 1] + 1

    def to_folded(self, start: int, end: int) -> tuple[int, int]:
        if self._o2f is None:
            return start, end
        return self._o2f[start], self._o2f[end]

    def surface(self, start: int, end: int) -> str:
        """The original text of the folded span [start, end)."""
        o_start, o_end = self.to_orig(start, end)
        return self.orig[o_start:o_end]


# --- organisations and outlets ------------------------------------------------------------


@dataclass(frozen=True)
class OrgMention:
    start: int  # folded offsets
    end: int
    name: str  # canonical name of the top-level organisation


@dataclass(frozen=True)
class Lexicon:
    """Every organisation and outlet name as one pattern over folded text."""

    pattern: re.Pattern[str] | None
    # normalised folded name -> (canonical organisation or None for an outlet,
    # whether the original's last word must be capitalised)
    info: dict[str, tuple[str | None, bool]]

    def knows(self, name: str) -> bool:
        return _normalise(fold(name)) in self.info

    def find(self, text: FoldedText) -> tuple[list[OrgMention], list[tuple[int, int]]]:
        """Organisation mentions and outlet spans in `text`."""
        orgs: list[OrgMention] = []
        outlets: list[tuple[int, int]] = []
        if self.pattern is None:
            return orgs, outlets
        for m in self.pattern.finditer(text.folded):
            org, capital = self.info.get(_normalise(m.group()), (None, False))
            if capital:
                words = re.findall(r"\w+", text.surface(*m.span()))
                if not words or not words[-1][:1].isupper():
                    continue
            if org is None:
                outlets.append(m.span())
            else:
                orgs.append(OrgMention(m.start(), m.end(), org))
        return orgs, outlets


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", " ", name).replace("’", "'").strip()


@lru_cache(maxsize=32)
def build_lexicon(organisations: tuple[Organisation, ...], outlets: tuple[str, ...]) -> Lexicon:
    """Parts (labs, teams) map to their parent's canonical name; outlets win over namesakes."""
    info: dict[str, tuple[str | None, bool]] = {}

    def add(variant: str, org: str | None, epithet: bool) -> None:
        key = _normalise(fold(variant))
        words = re.findall(r"\w+", variant)
        # "apple", "fair", "le monde" in running text are words, not names.
        capital = not epithet and bool(words) and words[-1][:1].isupper()
        if not key:
            return
        if key in info:
            old_org, old_capital = info[key]
            if old_org is not None:  # an outlet stays an outlet
                info[key] = (old_org, old_capital and capital)
            return
        info[key] = (org, capital)

    for outlet in outlets:
        add(outlet, None, False)
    for org in organisations:
        for variant in (org.name, *org.aliases, *org.parts):
            add(variant, org.name, False)
        for variant in (*org.epithets, *org.product_epithets):
            add(variant, org.name, True)
    if not info:
        return Lexicon(None, info)
    return Lexicon(re.compile(rf"(?<!\w)(?:{_trie_regex(list(info))})(?!\w)"), info)


def _trie_regex(keys: list[str]) -> str:
    """One alternation of `keys` factored on shared prefixes ("the maker of claude|the maker
    of gemini" is "the maker of (?:claude|gemini)"): with hundreds of names (the products'
    epithets) a flat alternation is tried name by name at every position of every article.
    Longer names are tried first; a space matches any run of spaces or hyphens."""
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        parts = []
        for char in sorted(c for c in node if c):
            atom = r"[\s\-]+" if char == " " else "['’]" if char == "'" else re.escape(char)
            parts.append(atom + emit(node[char]))
        if "" in node:
            parts.append("")  # the name may end here: tried after every longer one
        if len(parts) == 1:
            return parts[0]
        return f"(?:{'|'.join(parts)})"

    return emit(trie)


# --- people's names -----------------------------------------------------------------------


@dataclass(frozen=True)
class NameCandidate:
    start: int  # original offsets
    end: int
    words: tuple[str, ...]  # name words and inner particles

    @property
    def size(self) -> int:
        """How many name words (particles not counted): 1 may be a bare surname."""
        return sum(w not in PARTICLES for w in self.words)


def title_case(text: str) -> bool:
    """A Title-Case heading ("Meta Recrute Quatre Nouveaux Chercheurs"), whose capitals say
    nothing about names. Callers mask organisation names out first."""
    words = re.findall(r"[^\W\d_]{4,}", text)
    return len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def _name_word(token: str) -> bool:
    """Capitalised, not all capitals: "Bubeck", "Marie-Anne", "McAllister"; not "IA", "GenAI"."""
    if len(token) < 2 or not token[0].isupper():
        return False
    for part in token.split("-"):
        if not part or not part[0].isupper() or part[-1].isupper():
            return False
        if sum(c.isupper() for c in part) > 2:
            return False
    return True


def _not_name(token: str, sentence_initial: bool) -> bool:
    word = fold_word(token)
    if word in PARTICLES or word in STOP_WORDS or word in COMMON_CAPITALISED:
        return True
    if word in ROLE_WORDS:  # "Chief Scientist Ilya Sutskever"
        return True
    # Sentence-initial adverbs: "Parallèlement", "Separately".
    return sentence_initial and (word.endswith("ment") or word.endswith("ly"))


def name_candidates(masked: str) -> list[NameCandidate]:
    """Runs of capitalised words (with inner particles: "Ursula von der Leyen") cleaned of
    non-name words at their edges. `masked` has organisation and outlet names blanked out,
    so that "la firme de Mark Zuckerberg" and "Business Insider" yield no one."""
    tokens = [(m.start(), m.end(), m.group()) for m in WORD.finditer(masked)]
    out: list[NameCandidate] = []

    def spaced(a: int, b: int) -> bool:
        gap = masked[tokens[a][1]:tokens[b][0]]
        return 0 < len(gap) <= 2 and gap.strip(" \u00a0") == ""

    i = 0
    while i < len(tokens):
        if not _name_word(tokens[i][2]):
            i += 1
            continue
        run = [i]
        j = i + 1
        while j < len(tokens) and len(run) < 8 and spaced(j - 1, j):
            if _name_word(tokens[j][2]):
                run.append(j)
                j += 1
                continue
            k = j
            while k < len(tokens) and k - j < 2 and tokens[k][2] in PARTICLES and spaced(k - 1, k):
                k += 1
            if j < k < len(tokens) and spaced(k - 1, k) and _name_word(tokens[k][2]):
                run.extend(range(j, k + 1))
                j = k + 1
                continue
            break
        i = j
        words = [tokens[t] for t in run]
        at_start = not masked[:words[0][0]].strip(" \u00a0\"'«“(-–—•*#")
        first = words[0]
        while words and _not_name(words[0][2], at_start and words[0] is first):
            words.pop(0)
        while words and _not_name(words[-1][2], False):
            words.pop()
        candidate = NameCandidate(words[0][0], words[-1][1], tuple(w[2] for w in words)) if (
            words) else None
        if candidate is None or not 1 <= candidate.size <= 4:
            continue
        if any(fold_word(w) in PRODUCTS or fold_word(w) in COMMON_CAPITALISED
               for w in candidate.words):
            continue
        out.append(candidate)
    return out
