"""Talent moves read from one article by rules: French and English news phrasing.

`extract_moves` reads sentence by sentence. In each it finds organisations (names,
aliases, parts and epithets), people (capitalised names; a bare surname refers back to the
full name seen earlier), cue words ("a rejoint", "quitté", "recruté", "débauchés",
"cofondateurs", "joined", "left", "hired", ...) and the appositions that say who works
where ("X, directrice de FAIR", "l'ancien vice-président d'OpenAI, X"). Each cue gives its
people an origin and/or a destination from the words around it; the people's own
appositions, then the sentence's one other organisation, fill what the cue leaves open.
Cues in quotations or after a negation, and people who speak for others (spokespeople,
journalists), give no move.

Context beyond the sentence is used in these cases only, and only with organisations or
people the article names:
  (a) a possessive founder noun ("Deux de ses cofondateurs, ...") takes the organisation
      named before it in the sentence, else the first one of the previous sentence;
  (b) a sentence continuing the previous one's list ("Ainsi que X et Y, ... débauchés")
      takes the previous sentence's destination (or origin, for departures); and a person
      described as a *former* employee of A who leaves without saying what is leaving the
      organisation the previous sentence is about first (if it is not A);
  (c) the headline's hiring ("Meta recrute quatre chercheurs d'OpenAI") gives its origin to
      hires into the same organisation that name none;
  (d) a sentence opening on "Il/Elle/He/She" is about the one person who moved in the
      previous sentence.
  (g) unnamed people who move together ("Two engineers have left X", "Big Co has hired the
      co-founders of X") give that move to the people the next sentence names as moving
      ("A, who led ..., and B have co-founded Y", "A, its CEO, and B will join Big Co").
An organisation named in a clause about another one ("Y, une start-up fondée par deux
anciens de Z") is no one's origin; a relative clause on a workplace ("chez X, qu'elle avait
rejointe en 2019 après un passage chez W") is an earlier move with its own date.
Finally one departure without destination and one arrival without origin of the same
person ("X a quitté xAI." ... "X a rejoint SSI.") make one move, cited by the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from index.corpus import Article
from index.moves import rules as R
from index.moves.recognise import article_lexicon, discover
from index.organisations import Organisation
from index.people import person_key
from index.text import STOP_WORDS, fold, split_sentences
from index.types import Move, MoveKind

MAX_SENTENCE_CHARS = 2_000  # longer sentences are read up to here (their evidence is whole)
MAX_SENTENCES = 10_000
MAX_ROLE_CHARS = 60

_ARTICLE = r"(?:(?:le|la|les|the)\s+|l['’])?"
_OWN_VENTURE = (r"(?:to (?:start|found|launch|create|set up)|pour (?:creer|fonder|lancer|monter))"
                r" (?:his|her|their|sa|son|leur) (?:own |propre )?(?:[\w\-]+ )?(?:venture|startup"
                r"|start-up|company|firm|lab|entreprise|societe|structure|laboratoire),")
_DESTINATION = re.compile(
    rf"\s*(?:{_OWN_VENTURE}|pour rejoindre|to join|pour|for|vers|au profit de|en faveur de)"
    rf"\s+{_ARTICLE}")
_DESTINATION_ANYWHERE = re.compile(r"(?<!\w)" + _DESTINATION.pattern)
_ORIGIN = re.compile(
    rf"(?<!\w)(?:from|de chez|en provenance de|venue?s? de(?: chez)?)\s+{_ARTICLE}")
_OF_ORG = re.compile(r"\s*(?:de|d['’]|du|of|at|chez)\s*(?:(?:la|le|l['’])\s*)?")
_BY_ORG = re.compile(rf"\s*(?:par|by)\s+{_ARTICLE}")
_AT_ORG = re.compile(r"\s*(?:chez|at|au sein de|a|to)\s+")
_POST_ORIGIN = re.compile(r"\s+(?:from|de chez|en provenance de|venue?s? de(?: chez)?|of)\s+")
_PRENOMINAL_GAP = re.compile(r"(?:['’]s)?((?:\s+[\w\-]+){1,3})\s+")
_FORMER_BEFORE = re.compile(r"(?:former|ex-|ancien\w*)\s*$")
_FRENCH_PARTICIPLE = re.compile(r"[éÉ][eE]?[sS]?$")
# An apposition or relative clause after an organisation's name: what follows is about it.
_ABOUT_ORG = re.compile(r"\s*,\s*(?:une?|a|an|the|la|le|l['’]|qui|which|that|dont|whose"
                        r"|fondee?|founded|creee?|created|backed|soutenue?)(?!\w)[^;.]*$")
_POSSESSIVE = re.compile(r"(?:its|their|ses|son|sa|leurs?)\s")
_PUNCTUATION = re.compile(r"[,;:()«»\"“”]")
_STOP = re.compile(r"[.;]")
# Cues that bring someone in: their open origin may come from the person's description.
_ARRIVALS = frozenset({"hire", "hire_n", "join", "found", "found_p", "found_n"})


@dataclass(frozen=True)
class _Person:
    start: int  # folded offsets
    end: int
    key: str


@dataclass(frozen=True)
class _Affiliation:
    """Where a person works or worked, as the words next to their name say."""

    org: R.OrgMention | None
    role: str | None
    former: bool


@dataclass(frozen=True)
class _Cue:
    start: int
    end: int
    type: R.CueType
    kind: MoveKind
    surface: str


@dataclass
class _Frame:
    key: str
    from_org: str | None
    to_org: str | None
    kind: MoveKind
    type: str  # a CueType; "former" ("ancien ... de ORG") or "until_now" (context c)
    pos: int
    possessive: bool = False
    chained: bool = False  # a later step of a career chain told in one sentence


@dataclass
class _Analysis:
    """One sentence: its folded text and what is named in it (folded offsets)."""

    text: R.FoldedText
    orgs: list[R.OrgMention] = field(default_factory=list)
    outlets: list[tuple[int, int]] = field(default_factory=list)
    names: list[R.NameCandidate] = field(default_factory=list)  # original offsets
    persons: list[_Person] = field(default_factory=list)
    _cues: list[_Cue] | None = None

    @property
    def topic(self) -> str | None:
        return self.orgs[0].name if self.orgs else None

    @property
    def cues(self) -> list[_Cue]:
        if self._cues is None:
            self._cues = _find_cues(self.text)
        return self._cues


def _analyse(raw: str, lexicon: R.Lexicon, extra: R.Lexicon | None,
             found: R.Lexicon | None = None) -> _Analysis:
    text = R.FoldedText(raw[:MAX_SENTENCE_CHARS])
    orgs, outlets = lexicon.find(text)
    if found is not None:  # organisations the article itself introduces (recognise.py)
        new = [o for o in found.find(text)[0]
               if not any(o.start < k.end and k.start < o.end for k in orgs)]
        orgs = sorted([*orgs, *new], key=lambda o: o.start)
    if extra is not None:  # an outlet wins over an organisation inside its name
        more = extra.find(text)[1]
        outlets += more
        orgs = [o for o in orgs if not any(o.start < end and start < o.end for start, end in more)]
    masked = list(text.orig)
    for start, end in [*outlets, *((o.start, o.end) for o in orgs)]:
        o_start, o_end = text.to_orig(start, end)
        masked[o_start:o_end] = "\x00" * (o_end - o_start)
    masked_text = "".join(masked)
    # A Title-Case heading's capitals say nothing of names; a sentence ending in a full
    # stop is no heading, however many names it lists.
    heading = R.title_case(masked_text) and not masked_text.rstrip().endswith((".", "!", "?"))
    names = [] if heading else R.name_candidates(masked_text)
    return _Analysis(text, orgs, outlets, names)


def _find_cues(text: R.FoldedText) -> list[_Cue]:
    folded = text.folded
    quotes = [m.span() for m in R.QUOTES.finditer(folded)]
    cues = []
    for m in R.CUES.finditer(folded):
        rule = R.CUE_RULES[int((m.lastgroup or "c0")[1:])]
        surface = text.surface(*m.span())
        if R.ASCII_ONLY_CUES.fullmatch(m.group()) and not surface.isascii():
            continue  # French "départ", not English "depart"
        if any(a <= m.start() < b for a, b in quotes):  # reported speech
            continue
        if rule.type == "hire" and R.NOUN_BEFORE.search(folded, max(0, m.start() - 12),
                                                        m.start()):
            continue  # "the hires come after ...": a noun, no one hired here
        window = _PUNCTUATION.split(folded[max(0, m.start() - 30):m.start()])[-1]
        if R.NEGATION.search(window):
            continue
        cues.append(_Cue(m.start(), m.end(), rule.type, rule.kind, surface))
    return cues


@lru_cache(maxsize=256)
def _outlet_lexicon(outlet: str) -> R.Lexicon:
    return R.build_lexicon((), (outlet,))


# --- the article ------------------------------------------------------------------------


class _Reader:
    def __init__(self, article: Article, lexicon: R.Lexicon) -> None:
        self.article = article
        published = article.published or ""
        self.year = int(published[:4]) if re.match(r"\d{4}", published) else None
        # The article's own outlet (front matter) is an outlet even when the file lacks it.
        own = article.outlet
        extra = _outlet_lexicon(own) if own and not lexicon.knows(own) else None
        self.sentences = split_sentences(article.body)[:MAX_SENTENCES]
        discovered = discover(f"{article.title or ''}\n{article.body}", lexicon)
        found = article_lexicon(discovered) if discovered else None
        self.analyses = [_analyse(s.text, lexicon, extra, found) for s in self.sentences]
        self.title = _analyse(article.title or "", lexicon, extra, found)
        self.names: dict[str, str] = {}  # person key -> the name as first written
        surnames: dict[str, set[str]] = {}
        for analysis in (self.title, *self.analyses):
            for name in analysis.names:
                if name.size >= 2:
                    key = person_key(" ".join(name.words))
                    self.names.setdefault(key, " ".join(name.words))
                    surnames.setdefault(person_key(name.words[-1]), set()).add(key)
        for analysis in self.analyses:
            for name in analysis.names:
                key = person_key(" ".join(name.words))
                if name.size == 1:  # "Bubeck": the one person of that surname named before
                    keys = surnames.get(key, set())
                    if len(keys) != 1:
                        continue
                    key = next(iter(keys))
                analysis.persons.append(_Person(*analysis.text.to_folded(name.start, name.end),
                                                key))
        self.headline = self._headline()
        self.topic = self.title.topic or next((a.topic for a in self.analyses if a.topic), None)
        self._resolve_org_epithets({o.name for o in discovered
                                    if not R.INVESTOR_NAME.search(fold(o.name))})

    def _resolve_org_epithets(self, introduced: set[str]) -> None:
        """Context (e): "the startup", "l'entreprise", "la société" with no name after them
        stand for an organisation named before: "the startup" for the one the article
        introduced itself and names most (startups are seldom on any list), else the
        article's company; the others for one named earlier in the sentence, else the first
        one of the last sentence that named any (its subject, most often)."""
        counts: dict[str, int] = {}
        for org in self.title.orgs:
            counts[org.name] = counts.get(org.name, 0) + 3
        last_first: str | None = self.topic
        anyone = bool(self.title.persons)
        for analysis in self.analyses:
            added: list[R.OrgMention] = []
            orgs = analysis.orgs
            pronoun = R.ORG_PRONOUN.match(analysis.text.folded)
            if pronoun and not anyone and last_first:  # "Elle a débauché X"
                added.append(R.OrgMention(0, pronoun.end(), last_first))
            anyone = anyone or bool(analysis.persons)
            here = {o.name for o in orgs}
            # Not one this sentence names: "X, chercheuse chez Kyutai, pourrait rejoindre
            # la start-up franco-américaine" is about another.
            others = [n for n in counts if n not in here]
            new = max((n for n in others if n in introduced), key=lambda n: counts[n],
                      default=None) or max(others, key=lambda n: counts[n], default=None)
            for m in R.ORG_EPITHET.finditer(analysis.text.folded):
                if any(o.start < m.end() + 25 and m.start() < o.end for o in orgs):
                    continue  # "la start-up Lumenfeld": the name is there
                before = [o for o in orgs if o.end <= m.start()]
                apposed = before and re.fullmatch(r"\s*,\s*", analysis.text.folded[
                    before[-1].end:m.start()])
                if apposed:  # "Chez Veridian Labs, la start-up fondée à Lyon": that one
                    name: str | None = before[-1].name
                elif m.group("kind"):
                    name = new
                else:
                    name = before[-1].name if before else last_first
                if name is not None:
                    added.append(R.OrgMention(m.start(), m.end(), name))
            if added:
                analysis.orgs = sorted([*orgs, *added], key=lambda o: o.start)
            for org in orgs:
                counts[org.name] = counts.get(org.name, 0) + 1
            if analysis.orgs:
                last_first = analysis.orgs[0].name

    def _list_header(self, analysis: _Analysis, prev: _Analysis | None) -> _Frame | None:
        """Context (f): a sentence ending on a colon, about moves (or after one about
        moves), opens a list whose items are people who made that move."""
        if not analysis.text.folded.rstrip().endswith(":"):
            return None
        for about in (analysis, prev):
            if about is None:
                continue
            m = R.LIST_HEADER.search(about.text.folded)
            if m is not None:
                org = analysis.topic or about.topic or self.topic
                if m.group("out"):
                    return _Frame("", org, None, "left", "leave", 0)
                return _Frame("", None, org, "joined", "join", 0)
        return None

    @staticmethod
    def _list_item(analysis: _Analysis, header: _Frame) -> list[_Frame]:
        own = analysis.topic
        frames: dict[str, _Frame] = {}
        for person in analysis.persons:
            if person.key in frames:
                continue
            origin, to = header.from_org, header.to_org
            if own and own not in (origin, to):
                if to is None:
                    to = own
                else:
                    origin = own
            frames[person.key] = replace(header, key=person.key, from_org=origin, to_org=to,
                                         pos=person.start)
        return list(frames.values())

    @staticmethod
    def _prior_join(analysis: _Analysis, focus: str | None) -> _Frame | None:
        """"Prior to joining OpenAI in 2023, he was at Google": Google -> OpenAI; "Arrivée
        chez Mistral AI après un passage chez Nvidia, l'ingénieure ...": Nvidia -> Mistral
        AI; for the subject after the comma (a name, or the person in view for a pronoun or
        an epithet)."""
        folded = analysis.text.folded
        m = R.PRIOR_JOIN.match(folded)
        clause = m or R.OPENING_JOIN.match(folded)
        if clause is None:
            return None
        start = clause.end()
        comma = folded.find(",", start)
        if comma < 0:
            return None
        to = next((o for o in analysis.orgs if start <= o.start < comma), None)
        if m is not None:
            origin = next((o for o in analysis.orgs
                           if o.start > comma and to and o.name != to.name), None)
        else:  # "Arrivée chez X après un passage chez Y, ..."
            origin = next((o for o in analysis.orgs if to and o.start < comma
                           and o.name != to.name and R.OPENING_ORIGIN.search(
                               folded, max(0, o.start - 40), o.start)), None)
        if to is None or (origin is None and m is not None):
            return None
        named = next((p for p in analysis.persons if p.start > comma), None)
        if named is not None and named.start - comma <= 3:
            key = named.key
        elif R.SUBJECT_PRONOUN.match(folded[comma + 1:].lstrip()) and focus:
            key = focus
        else:
            return None
        return _Frame(key, origin.name if origin else None, to.name, "joined", "join", 0)

    @staticmethod
    def _joined_earlier(analysis: _Analysis, focus: str | None) -> list[_Frame]:
        """"VP chez Datrix, qu'elle avait rejointe en 2019 après un passage chez Critel":
        Critel -> Datrix; "revient chez X, qu'elle avait quittée en 2022 pour Y": X -> Y;
        each with its own date, for the person named before (or in view)."""
        folded = analysis.text.folded
        out: list[_Frame] = []
        for org in analysis.orgs:
            m = R.RELATIVE_JOIN.match(folded, org.end)
            if m is None:
                continue
            other = next((o for o in analysis.orgs if m.end() < o.start <= m.end() + 100
                          and o.name != org.name and (_DESTINATION_ANYWHERE if m.group("left")
                                                      else R.OPENING_ORIGIN).search(
                              folded, max(0, o.start - 40), o.start)), None)
            named = [p for p in analysis.persons if p.end <= org.start]
            key = named[-1].key if named else focus
            if key is None:
                continue
            if m.group("left"):  # "qu'elle avait quitté en 2022 pour Y": X -> Y
                if other is not None:
                    out.append(_Frame(key, org.name, other.name, "left", "leave", m.start(),
                                      chained=True))
            else:
                out.append(_Frame(key, other.name if other else None, org.name, "joined",
                                  "join", m.start(), chained=True))
        return out

    @staticmethod
    def _worked_at(analysis: _Analysis, focus: str | None, employers: dict[str, str]) -> None:
        """A workplace stated without a move ("Elle a travaillé chez Google de 2016 à 2020")
        is where the sentence's subject came from, for a later move that does not say."""
        folded = analysis.text.folded
        for org in analysis.orgs:
            if not R.WORKED_AT.search(folded, max(0, org.start - 40), org.start):
                continue
            before = [p for p in analysis.persons if p.end <= org.start]
            key = before[-1].key if before else (
                focus if R.SUBJECT_PRONOUN.match(folded) else None)
            if key is not None:
                employers[key] = org.name

    @staticmethod
    def _group(analysis: _Analysis) -> tuple[str | None, str | None] | None:
        """Context (g): (origin, destination) of unnamed people who move together: "Two
        engineers have left X (for Y)", "Big Co has hired the co-founders of X", "Deux
        chercheurs d'X ont rejoint Y". The next sentence names them."""
        folded = analysis.text.folded
        noun = R.GROUP.search(folded)
        if noun is None or R.RUMOUR.search(folded):  # "X could hire Y's founders": not yet
            return None
        cue = next((c for c in analysis.cues if c.type in ("leave", "hire", "join")), None)
        if cue is None:
            return None
        orgs = analysis.orgs
        after_noun = next((o for o in orgs if noun.end() <= o.start <= noun.end() + 40), None)
        origin: R.OrgMention | None = None
        to: R.OrgMention | None = None
        if cue.type == "leave":
            origin = next((o for o in orgs if cue.end <= o.start <= cue.end + 60), None)
            if origin is not None:
                dest = _DESTINATION_ANYWHERE.match(folded, origin.end)
                to = next((o for o in orgs if dest and o.start == dest.end()), None)
        elif cue.type == "hire" and noun.start() >= cue.end:  # "X a recruté les fondateurs de Y"
            to = next((o for o in orgs if o.end <= cue.start), None)  # the subject
            origin = after_noun
            if origin is None and _POSSESSIVE.match(noun.group()):
                # "X has agreed to license Y's models and to hire its co-founders": Y
                origin = next((o for o in reversed(orgs) if o.end <= noun.start()
                               and (to is None or o.name != to.name)), None)
        elif cue.type == "join" and noun.end() <= cue.start:  # "deux chercheurs de Y ont rejoint X"
            to = next((o for o in orgs if cue.end <= o.start <= cue.end + 60), None)
            origin = after_noun
        if origin is None and to is None:
            return None
        return (origin.name if origin else None, to.name if to else None)

    def _headline(self) -> tuple[str, str] | None:
        """(destination, origin) of a hiring the title announces."""
        title = self.title
        for cue in title.cues:
            if cue.type != "hire" or R.PASSIVE_AFTER.match(title.text.folded[cue.end:]):
                continue
            before = [o for o in title.orgs if o.end <= cue.start]
            after = [o for o in title.orgs if cue.end <= o.start <= cue.end + 60]
            if before and after and before[-1].name != after[0].name:
                return before[-1].name, after[0].name
        return None

    def moves(self) -> list[Move]:
        found: list[Move] = []
        prev: _Analysis | None = None
        prev_frames: list[_Frame] = []
        focus: str | None = None  # the person the last sentence naming someone was about
        latter: str | None = None  # the last person it named
        header: _Frame | None = None  # the move a list's items share (context f)
        employers: dict[str, str] = {}  # person key -> workplace the article gave them
        group: tuple[str | None, str | None] | None = None  # unnamed people's move (context g)
        for sentence, analysis in zip(self.sentences, self.analyses, strict=True):
            frames: list[_Frame] = []
            roles: dict[str, str] = {}
            folded = analysis.text.folded
            someone = bool(analysis.persons) or bool(
                (prev_frames or focus) and R.SUBJECT_PRONOUN.match(folded))
            self._worked_at(analysis, focus, employers)
            earlier = self._joined_earlier(analysis, focus)
            prior = self._prior_join(analysis, focus)
            if prior is not None:
                frames = [prior]
            elif someone and (R.CUES.search(folded) or R.FORMER.search(folded)):
                who = latter if R.LATTER.match(folded) else focus
                reader = _SentenceReader(analysis, prev, prev_frames, self.headline,
                                         _Context(who, employers, self.topic, group))
                frames, roles = reader.frames(), reader.roles()
                for index, affiliation in reader.affiliations.items():
                    if affiliation.org is not None and not affiliation.former:
                        employers.setdefault(analysis.persons[index].key, affiliation.org.name)
            frames += [f for f in earlier if not any(
                (g.key, g.from_org, g.to_org) == (f.key, f.from_org, f.to_org) for g in frames)]
            group = None if analysis.persons else self._group(analysis)
            if R.LIST_ITEM.match(sentence.text):
                if header is not None and not frames:
                    frames = self._list_item(analysis, header)
            else:
                header = self._list_header(analysis, prev)
            if analysis.persons:
                focus, latter = analysis.persons[0].key, analysis.persons[-1].key
            # A relative clause's earlier move has its own date, not the sentence's news.
            cut = min((f.pos for f in earlier), default=len(folded))
            date = R.find_date(folded[:cut], analysis.text.surface, self.year) if frames else None
            relative = None if date or not frames else R.relative_date(
                folded, self.article.published)
            for frame in frames:
                step = date
                if frame.chained:  # "..., avant d'être recrutée par Nvidia en 2023": its own
                    step = _date_from(analysis, frame.pos, self.year) or date
                found.append(Move(
                    person=self.names.get(frame.key, frame.key),
                    from_org=frame.from_org,
                    to_org=frame.to_org,
                    kind=frame.kind,
                    article_id=self.article.article_id,
                    evidence=sentence.text,
                    start=sentence.start,
                    role=roles.get(frame.key),
                    date=step or relative or self.article.published,
                    date_source="text" if step else "relative" if relative else (
                        "article" if self.article.published else None),
                ))
            for frame in frames:
                if frame.to_org or frame.from_org:  # where they are now, or were last
                    employers[frame.key] = frame.to_org or frame.from_org or ""
            prev, prev_frames = analysis, frames
        return _merge(found)


def _date_from(analysis: _Analysis, pos: int, year: int | None) -> str | None:
    """The date the sentence gives from `pos` on (a chain step's own date)."""
    text = analysis.text
    return R.find_date(text.folded[pos:], lambda a, b: text.surface(a + pos, b + pos), year)


# --- who works where ----------------------------------------------------------------------


def _affiliations(analysis: _Analysis, groups: list[list[int]]) -> dict[int, _Affiliation]:
    """Descriptions next to each name, by person index. A list's shared description
    ("X et Y, deux chercheurs de Google DeepMind") goes to every name of the list."""
    persons = analysis.persons
    out: dict[int, _Affiliation] = {}
    cue_ends = [c.end for c in analysis.cues if c.type != "found_n"]
    for group in groups:
        pre = _pre_descriptor(analysis, persons[group[0]].start, cue_ends)
        shared = _post_descriptor(analysis, persons[group[-1]].end)
        for index in group:
            own = _post_descriptor(analysis, persons[index].end) if index != group[-1] else None
            found = [d for d in (own, shared if own is None or index == group[-1] else None, pre)
                     if d is not None]
            org = next((d.org for d in found if d.org is not None), None)
            role = next((d.role for d in found if d.role), None)
            former = any(d.former for d in found if d.org is not None and d.org == org)
            if org or role:
                out[index] = _Affiliation(org, role, former)
    return out


def _pre_descriptor(analysis: _Analysis, start: int, cue_ends: list[int]) -> _Affiliation | None:
    """"chercheur d'OpenAI, X", "employés d'OpenAI, dont X", or a prenominal description."""
    folded = analysis.text.folded
    before = folded[max(0, start - 160):start]
    offset = start - len(before)
    end_match = R.PRE_DESCRIPTOR_END.search(before)
    if end_match is None:
        return _prenominal(analysis, start, cue_ends)
    seg_end = offset + end_match.start()
    seg_start = _segment_start(folded, seg_end, cue_ends)
    if R.SOURCE_OPENING.match(folded, seg_start):
        return None  # "Selon Maddyness, X": a source, not X's workplace
    org = next((o for o in reversed(analysis.orgs)
                if seg_start <= o.start and o.end <= seg_end and not folded[o.end:seg_end].strip()),
               None)
    role = _role(analysis, seg_start, seg_end)
    if org is None and role is None:
        return None
    return _Affiliation(org, role, bool(R.FORMER.search(folded, seg_start, seg_end)))


def _prenominal(analysis: _Analysis, start: int, cue_ends: list[int]) -> _Affiliation | None:
    """A description right before a name, with no comma: "former OpenAI CTO Mira Murati",
    "Nvidia's chief executive X", "l'ex-ingénieur de Nvidia X", "la chercheuse X"."""
    folded = analysis.text.folded
    org = next((o for o in reversed(analysis.orgs) if o.end <= start), None)
    if org is not None and start - org.end <= 40:
        gap = folded[org.end:start]
        m = _PRENOMINAL_GAP.fullmatch(gap)
        if m and any(w in R.ROLE_WORDS for w in m.group(1).split()):
            former = bool(_FORMER_BEFORE.search(folded[max(0, org.start - 12):org.start]))
            title = analysis.text.surface(org.end + m.start(1), org.end + m.end(1)).strip()
            return _Affiliation(org, title, former)
        if not gap.strip():
            seg_start = _segment_start(folded, org.start, cue_ends)
            job = _role(analysis, seg_start, org.end)
            if job:
                return _Affiliation(org, job, bool(R.FORMER.search(folded, seg_start, org.start)))
    words = list(R.WORD.finditer(folded, max(0, start - 40), start))
    if words and _role_word(words[-1].group()) and not folded[words[-1].end():start].strip():
        seg_start = _segment_start(folded, start, cue_ends)
        role = _role(analysis, seg_start, start)
        if role:
            return _Affiliation(None, role, bool(R.FORMER.search(folded, seg_start, start)))
    return None


def _post_descriptor(analysis: _Analysis, end: int) -> _Affiliation | None:
    """"X from Nvidia", "X, vice-président de l'IA chez Microsoft", "X, who led ... at Y"."""
    folded = analysis.text.folded
    origin = _POST_ORIGIN.match(folded, end)
    if origin:
        org = next((o for o in analysis.orgs if o.start == origin.end()), None)
        if org is not None:
            return _Affiliation(org, None, not origin.group().strip().startswith("of"))
    m = R.POST_APPOSITION.match(folded[end:end + 160])
    if m is None:
        return None
    a_start, a_end = end + m.start(1), end + m.end(1)
    if any(a_start <= p.start < a_end for p in analysis.persons):
        return None  # the next name of a list, not an apposition
    position = R.ROLE_POSITION.search(folded, a_start, a_end)
    if position:  # "démissionnaire de son poste de directrice technique chez OpenAI"
        a_start = position.end()
    else:
        cue = next((c for c in analysis.cues
                    if a_start <= c.start < a_end and c.type != "found_n"), None)
        if cue is not None:  # "X et Y, ingénieurs de recherche débauchés ..."
            a_end = cue.start
    org = next((o for o in analysis.orgs if a_start <= o.start and o.end <= a_end), None)
    relative = R.RELATIVE.match(folded, a_start)
    role = None if relative else _role(analysis, a_start, a_end)
    if org is not None and not (relative or role or _introduced(analysis, org)):
        org = None  # "Le laboratoire d'Elon Musk, xAI, ...": a name in apposition, not a job
    if org is None and role is None:
        return None
    return _Affiliation(org, role, bool(R.FORMER.search(folded, a_start,
                                                        org.start if org else a_end)))


def _segment_start(folded: str, pos: int, cue_ends: list[int]) -> int:
    """Where the phrase ending at `pos` starts: after the last punctuation or cue."""
    cut = [m.end() for m in _PUNCTUATION.finditer(folded, max(0, pos - 80), pos)]
    return max([max(0, pos - 80), *cut, *[e for e in cue_ends if e <= pos]])


def _role_word(word: str) -> bool:
    return word in R.ROLE_WORDS or (word.startswith("ex-") and word[3:] in R.ROLE_WORDS)


def _introduced(analysis: _Analysis, org: R.OrgMention) -> bool:
    """The organisation follows a preposition ("chez Kyutai") or owns a noun ("Nvidia's")."""
    folded = analysis.text.folded
    words = R.WORD.findall(folded, max(0, org.start - 40), org.start)
    while words and words[-1] in R.FILLERS:
        words.pop()
    return bool(words and words[-1] in R.PREPOSITIONS) or folded.startswith(("'s", "’s"),
                                                                           org.end)


def _role(analysis: _Analysis, start: int, end: int) -> str | None:
    """The job phrase in folded[start:end]: from its first role word (with up to two
    modifiers before it: "product lead") to the preposition that introduces an
    organisation ("vice-président de l'IA | chez Microsoft")."""
    folded = analysis.text.folded
    words = [(m.start(), m.end(), m.group()) for m in R.WORD.finditer(folded, start, end)]
    first = next((i for i, w in enumerate(words) if _role_word(w[2])), None)
    if first is None:
        return None
    orgs = [o for o in analysis.orgs if start <= o.start < end]
    role_start = words[first][0] + (3 if words[first][2].startswith("ex-") else 0)
    for i in (first - 1, first - 2):
        if i < 0 or words[i][2] in R.NOT_MODIFIERS or words[i][2] in STOP_WORDS:
            break
        if any(o.start <= words[i][0] < o.end for o in orgs) or R.FORMER.fullmatch(words[i][2]):
            break
        if words[i + 1][0] - words[i][1] != 1:
            break
        role_start = words[i][0]
    role_end = end
    org_after = next((o for o in orgs if o.start > role_start), None)
    if org_after is not None:
        role_end = org_after.start
        before = [w for w in words if role_start < w[1] <= org_after.start]
        while before and before[-1][2] in R.FILLERS:
            before.pop()
        if before and before[-1][2] in R.PREPOSITIONS:
            before.pop()
        if before:
            role_end = before[-1][1]
    relative = R.RELATIVE.search(folded, role_start, role_end)
    if relative:
        role_end = relative.start()
    role = analysis.text.surface(role_start, role_end).strip(" ,;:.!?'’-")
    if len(role) > MAX_ROLE_CHARS:
        role = role[:MAX_ROLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:'’-")
    return role or None


def _groups(analysis: _Analysis) -> list[list[int]]:
    """People named as one list ("A, B et C"), as runs of person indices."""
    folded = analysis.text.folded
    groups: list[list[int]] = []
    for i, person in enumerate(analysis.persons):
        if groups:
            prev = analysis.persons[groups[-1][-1]]
            if prev.end <= person.start and R.LIST_GAP.match(folded[prev.end:person.start]):
                groups[-1].append(i)
                continue
        groups.append([i])
    return groups


# --- one sentence's moves -----------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What the article said before this sentence (context d, e)."""

    focus: str | None = None
    employers: dict[str, str] = field(default_factory=dict)
    topic: str | None = None
    group: tuple[str | None, str | None] | None = None  # context (g)


class _SentenceReader:
    def __init__(self, analysis: _Analysis, prev: _Analysis | None, prev_frames: list[_Frame],
                 headline: tuple[str, str] | None, context: _Context | None = None) -> None:
        self.context = context or _Context()
        self.later: set[str | None] = set()
        self.a = analysis
        self.folded = analysis.text.folded
        self.prev = prev
        self.prev_frames = prev_frames
        self.headline = headline
        self.continuation = bool(R.CONTINUATION.match(self.folded))
        pronoun = R.SUBJECT_PRONOUN.match(self.folded)
        movers = {f.key for f in prev_frames}
        if self.context.focus and (not movers or R.LATTER.match(self.folded)):
            movers = {self.context.focus}
        if pronoun and len(movers) == 1 and not any(
                p.start < pronoun.end() for p in analysis.persons):
            analysis.persons.insert(0, _Person(0, pronoun.end(), movers.pop()))  # context (d)
        self.groups = _groups(analysis)
        self.affiliations = _affiliations(analysis, self.groups)
        # Organisations that are someone's workplace in an apposition, by mention.
        self.described = {id(a.org): i for i, a in self.affiliations.items() if a.org}

    def roles(self) -> dict[str, str]:
        roles: dict[str, str] = {}
        for index, affiliation in self.affiliations.items():
            if affiliation.role:
                roles.setdefault(self.a.persons[index].key, affiliation.role)
        return roles

    def frames(self) -> list[_Frame]:
        per_cue = [(index, frame) for cue in self.a.cues for index, frame in self._cue_frames(cue)
                   if not self._speaker(index)]
        with_verb = {i for i, f in per_cue if f.type != "found_n"}
        combined: dict[int, _Frame] = {}
        chained: list[_Frame] = []
        for index, frame in sorted(per_cue, key=lambda x: x[1].pos):
            if frame.type == "found_n" and index in with_verb:
                continue  # "X, cofondateur d'OpenAI, a quitté ...": a description, not a move
            held = combined.setdefault(index, frame)
            if (held is not frame and held.to_org and frame.to_org and held.to_org != frame.to_org
                    and held.type in _ARRIVALS and frame.type in _ARRIVALS):
                # "a rejoint A en 2020, avant d'être recrutée par B": A, then A -> B
                frame.from_org = held.to_org
                frame.chained = True
                chained.append(frame)
                continue
            if held is not frame:  # "a quitté A pour rejoindre B": one move A -> B
                held.from_org = held.from_org or frame.from_org
                held.to_org = held.to_org or frame.to_org
                held.possessive = held.possessive or frame.possessive
        modality = self._modality()
        self.later = {f.to_org for f in chained}  # a chain's later steps are no origin
        out = list(combined.values()) + chained
        for index, frame in combined.items():
            self._fill(index, frame)
            frame.kind = modality or frame.kind
        for index, affiliation in self.affiliations.items():
            org = affiliation.org
            if not affiliation.former or org is None or self._speaker(index):
                continue
            moved = combined.get(index)
            former = _Frame(self.a.persons[index].key, org.name, None, "left", "former", org.start)
            if moved is None:
                out.append(former)  # "l'ancien vice-président d'OpenAI, Barret Zoph"
            elif org.name not in (moved.from_org, moved.to_org):
                if moved.from_org is None:
                    moved.from_org = org.name  # "Rachel Kim, previously ... at Apple"
                else:
                    out.append(former)
        out += self._former_subjects({f.key for f in out})
        for frame in out:  # context (c) for departures: "X had until now been at OpenAI"
            if (frame.to_org is None and self.headline and frame.from_org == self.headline[1]
                    and frame.type == "until_now"):
                frame.to_org = self.headline[0]
        kept = []
        for frame in out:
            if frame.from_org == frame.to_org:
                frame.from_org = None
            if frame.from_org or frame.to_org:
                kept.append(frame)
        return sorted(kept, key=lambda f: f.pos)

    def _former_subjects(self, done: set[str]) -> list[_Frame]:
        """"X, Y and Z had until now been based at OpenAI's office": the people a sentence
        opens on, then a word for the past, then one organisation: a former workplace."""
        if not self.groups or self.a.persons[self.groups[0][0]].start > 3:
            return []
        group = self.groups[0]
        end = self.a.persons[group[-1]].end
        former = R.FORMER.search(self.folded, end, end + 60)
        if former is None or self.a.cues:
            return []
        org = next((o for o in self.a.orgs if former.end() <= o.start <= former.end() + 60),
                   None)
        if org is None:
            return []
        return [_Frame(self.a.persons[i].key, org.name, None, "left", "until_now", org.start)
                for i in group if self.a.persons[i].key not in done]

    def _modality(self) -> MoveKind | None:
        if R.RUMOUR.search(self.folded):
            return "rumoured"
        if R.CONFIRMED.search(self.folded):
            return "confirmed"
        if R.ANNOUNCED.search(self.folded):
            return "announced"
        return None

    # -- people ---------------------------------------------------------------------------

    def _speaker(self, index: int) -> bool:
        start = self.a.persons[index].start
        if R.ATTRIBUTION.search(self.folded, max(0, start - 16), start):
            return True
        affiliation = self.affiliations.get(index)
        role = affiliation.role if affiliation else None
        return bool(role and R.SPEAKER_ROLE.search(R.fold_word(role)))

    def _group_before(self, pos: int, subject: bool) -> list[int]:
        persons = self.a.persons
        best = max((g for g in self.groups if persons[g[-1]].end <= pos),
                   key=lambda g: persons[g[-1]].end, default=None)
        if best is None or pos - persons[best[-1]].end > 300:
            return []
        gap = self.folded[persons[best[-1]].end:pos]
        if ";" in gap or R.OBJECT_OF_PERSUASION.search(gap):
            return []
        if subject and self._object(persons[best[0]].start):
            return []
        return best

    def _group_after(self, pos: int, window: int, colon: bool = False) -> list[int]:
        persons = self.a.persons
        for group in self.groups:
            start = persons[group[0]].start
            if start >= pos:
                gap = self.folded[pos:start]
                if start - pos > window or (colon and ":" not in gap) or ";" in gap:
                    return []
                return group
        return []

    def _object(self, start: int) -> bool:
        """The name follows a preposition, so it is no verb's subject ("avec ..., X, ou
        rejoindre" is not X joining)."""
        before = self.folded[max(0, start - 120):start]
        if R.OBJECT_PREPOSITION.search(before):
            return True
        end = R.PRE_DESCRIPTOR_END.search(before)
        if end:
            segment = _PUNCTUATION.split(before[:end.start()])[-1]
            return bool(R.COMPANION.search(segment))
        return False

    def _apposed_before(self, pos: int) -> list[int]:
        """The person whose apposition holds `pos` ("X, cofondateur de Mistral AI")."""
        for i in range(len(self.a.persons) - 1, -1, -1):
            person = self.a.persons[i]
            if person.end <= pos:
                return [i] if re.fullmatch(r"\s*,[^,;:]{0,60}", self.folded[person.end:pos]) else []
        return []

    # -- organisations --------------------------------------------------------------------

    def _free(self, org: R.OrgMention) -> bool:
        """Not the workplace of someone described in an apposition."""
        return id(org) not in self.described

    def _about_other(self, org: R.OrgMention) -> bool:
        """Named in a clause describing another organisation ("Pavonis, une start-up
        fondée par deux anciens de Corvalis", "X, which Y acquired"): not anyone's workplace
        in this move."""
        before = next((o for o in reversed(self.a.orgs)
                       if o.end <= org.start and o.name != org.name), None)
        if before is None or org.start - before.end > 120:
            return False
        if any(before.end <= p.start < org.start for p in self.a.persons):
            return False
        return bool(_ABOUT_ORG.match(self.folded, before.end, org.start))

    def _org_after(self, pos: int, limit: int) -> R.OrgMention | None:
        """The first organisation before `limit`; None when an outlet comes first."""
        org = next((o for o in self.a.orgs if pos <= o.start < limit), None)
        outlet = next((s for s, _ in self.a.outlets if pos <= s < limit), None)
        if outlet is not None and (org is None or outlet < org.start):
            return None
        return org

    def _org_before(self, pos: int, reach: int = 200) -> R.OrgMention | None:
        return next((o for o in reversed(self.a.orgs)
                     if o.end <= pos and pos - o.end <= reach and self._free(o)), None)

    def _org_at(self, pos: int, prefix: re.Pattern[str]) -> R.OrgMention | None:
        m = prefix.match(self.folded, pos)
        return self._org_at_end(m) if m else None

    def _org_at_end(self, m: re.Match[str]) -> R.OrgMention | None:
        """The organisation right after `m`, or one whose name takes the article `m` ended
        on ("for | the maker of Llama")."""
        return next((o for o in self.a.orgs if o.start == m.end()
                     or m.start() < o.start < m.end() < o.end), None)

    def _org_found(self, pattern: re.Pattern[str], pos: int, end: int) -> R.OrgMention | None:
        """The first organisation right after a match of `pattern` in [pos, end)."""
        for m in pattern.finditer(self.folded, pos, end):
            org = self._org_at_end(m)
            if org is not None:
                return org
        return None

    # -- cues -----------------------------------------------------------------------------

    def _cue_frames(self, cue: _Cue) -> list[tuple[int, _Frame]]:
        folded = self.folded
        persons = self.a.persons
        movers: list[int] = []
        to: R.OrgMention | None = None
        origin: R.OrgMention | None = None
        possessive = False
        if cue.type in R.SUBJECT_CUES:  # X a rejoint / a quitté / a cofondé ORG
            movers = self._group_before(cue.start, subject=True) or self._group_after(
                cue.end, 80, colon=True)
            if cue.type == "leave":
                window = R.LEAVE_WINDOW_END.search(folded, cue.end, cue.end + 60)
                window_end = window.start() if window else cue.end + 60
                # "parti rejoindre OpenAI": the next cue's organisation is not the one left
                window_end = min([window_end, *(c.start for c in self.a.cues
                                                if cue.end <= c.start < window_end)])
                origin = self._org_after(cue.end, window_end)
                to = self._org_at(window_end, _DESTINATION)
            else:
                to = self._org_after(cue.end, cue.end + 60)
                origin = self._org_found(_ORIGIN, cue.end, cue.end + 80)
                outlets = [s for s, _ in self.a.outlets if cue.end <= s < cue.end + 60]
                if cue.type == "join" and outlets and (to is None or outlets[0] < to.start):
                    return []  # "who joined TechCrunch": a newsroom is no employer here
                if cue.type == "join" and R.TIGHT_JOIN.fullmatch(folded, cue.start, cue.end) and (
                        to is None or folded[cue.end:to.start].strip(" ")):
                    return []  # "came to believe", "now at 40 %": no move
            if cue.type == "found" and movers and to is not None:
                movers = movers + self._companions(cue.end)
        elif cue.type == "found_p":  # ORG, fondée par X
            movers = self._group_after(cue.end, 80)
            to = self._org_before(cue.start, 100)
        elif cue.type == "found_n":  # ses cofondateurs, X et Y / X, cofondateur de ORG
            after = self._group_after(cue.end, 4)
            if after and re.fullmatch(r"\s*[,:]?\s*", folded[cue.end:persons[after[0]].start]):
                movers = after
            else:
                movers = self._apposed_before(cue.start)
            to = self._org_at(cue.end, _OF_ORG) or next(
                (o for o in self.a.orgs if o.end <= cue.start
                 and re.fullmatch(r"(?:['’]s)?\s*", folded[o.end:cue.start])), None)
            if to is None and R.POSSESSIVE_BEFORE.search(folded, max(0, cue.start - 8),
                                                         cue.start):
                possessive = True  # context (a)
                to = self._org_before(cue.start, 300)
        elif cue.type in ("hire", "hire_n"):  # ORG a recruté X / X, recruté par ORG
            # A French participle with no auxiliary ("X et Y, débauchés en 2023") follows
            # the people it is about; "a recruté X" and English "hired X" precede them.
            bare = (cue.type == "hire" and _FRENCH_PARTICIPLE.search(cue.surface)
                    and not R.AUXILIARY.search(folded[max(0, cue.start - 30):cue.start]))
            if R.PASSIVE_AFTER.match(folded[cue.end:]):
                movers = self._group_before(cue.start, subject=False)
                to = self._org_at(cue.end, _BY_ORG)
            elif cue.type == "hire" and R.PASSIVE_BEFORE.search(folded, max(0, cue.start - 16),
                                                                cue.start):
                # "X, cofondateur d'OpenAI, en a été nommé PDG": X is the one named
                movers = self._group_before(cue.start, subject=False)
                to = self._org_at(cue.end, _BY_ORG) or (self._org_before(
                    persons[movers[0]].start) if movers else None)
            elif bare and not self._group_after(cue.end, 3):
                movers = self._group_before(cue.start, subject=False)
                to = self._org_before(persons[movers[0]].start if movers else cue.start)
            else:
                movers = self._group_after(cue.end, 80 if cue.type == "hire" else 40)
                to = self._org_before(cue.start)
                if to is None and movers:  # "l'arrivée de X chez Meta"
                    to = self._org_at(persons[movers[-1]].end, _AT_ORG)
            if movers:
                last = persons[movers[-1]].end
                origin = self._org_found(_ORIGIN, last, last + 80)
        elif cue.type == "depart_n":  # ORG a confirmé le départ de X (vers ORG)
            movers = self._group_after(cue.end, 40)
            origin = self._org_before(cue.start)
            if movers:
                last = persons[movers[-1]].end
                stop = _STOP.search(folded, last, last + 120)
                to = self._org_found(_DESTINATION_ANYWHERE, last,
                                     stop.start() if stop else last + 120)
        return [(index, _Frame(persons[index].key, origin.name if origin else None,
                               to.name if to else None, cue.kind, cue.type, cue.start,
                               possessive))
                for index in movers]

    def _companions(self, pos: int) -> list[int]:
        """"X a cofondé ORG avec Y et avec Z": Y and Z founded it too."""
        out: list[int] = []
        for group in self.groups:
            start = self.a.persons[group[0]].start
            if start > pos and R.COMPANIONS_AFTER.search(self.folded, max(pos, start - 20), start):
                out += group
        return out

    def _fill(self, index: int, frame: _Frame) -> None:
        """Open sides from context (a, b), the person's description, the sentence's one
        other organisation, then context (b, c)."""
        affiliation = self.affiliations.get(index)
        own = affiliation.org.name if affiliation and affiliation.org else None
        former = bool(affiliation and affiliation.former)
        arrival = frame.type in _ARRIVALS
        group = self.context.group
        if group is not None:  # context (g): "Two engineers left X. A and B joined Y."
            g_from, g_to = group
            if frame.to_org is None and (arrival or frame.from_org in (None, g_from)):
                frame.to_org = g_to
            if frame.from_org is None and frame.to_org not in (None, g_from):
                frame.from_org = g_from
        if (frame.from_org is None and not arrival and own and former and affiliation
                and affiliation.org and not _PUNCTUATION.search(
                    self.folded, affiliation.org.end, frame.pos)):
            frame.from_org = own  # "ancien ingénieur d'X parti rejoindre Y": X
        if frame.to_org is None and arrival:
            if frame.possessive and self.prev is not None:
                frame.to_org = self.prev.topic
            elif self.continuation and self.prev_frames:
                frame.to_org = self.prev_frames[0].to_org
        if frame.from_org is None and not arrival and self.continuation and self.prev_frames:
            frame.from_org = self.prev_frames[0].from_org
        if frame.from_org is not None:
            return
        if own and own != frame.to_org and (arrival or not former):
            frame.from_org = own
            return
        if frame.type == "found_n" and not frame.possessive:
            return  # "X, le fondateur de Scale AI": the sentence's other names are not his past
        others = {o.name for o in self.a.orgs
                  if (self._free(o) or self.described.get(id(o)) == index)
                  and not self._about_other(o)} - {frame.to_org, *self.later}
        if former and not arrival:
            others.discard(own)  # a former employer is not the one being left now
        if len(others) == 1:
            frame.from_org = others.pop()
        elif not arrival and former and self.prev is not None and self.prev.topic != own:
            frame.from_org = self.prev.topic
        elif arrival and self.headline and self.headline[0] == frame.to_org:
            frame.from_org = self.headline[1]
        if frame.from_org is None:  # context (e)
            known = self.context.employers.get(frame.key)
            # "avait cofondé", "had joined": a move before the story, not from where it left
            # them
            earlier = R.PLUPERFECT.search(self.folded, max(0, frame.pos - 16), frame.pos) or (
                R.PLUPERFECT_CUE.match(self.folded, frame.pos))
            if known and known != frame.to_org and (frame.to_org or not arrival) and not earlier:
                frame.from_org = known
            elif (not arrival and frame.type != "former" and self.context.topic
                  and self.context.topic != frame.to_org):
                frame.from_org = self.context.topic  # "Y has left": the article's company


# --- one move per person and route ------------------------------------------------------


def _pair(moves: list[Move]) -> list[Move]:
    """A departure with no destination and an arrival with no origin of the same person
    ("X quitte Nvidia." ... "Veridian Labs a nommé X.") are one move, cited by the first;
    each arrival takes the nearest departure from elsewhere."""
    out = list(moves)
    for arrival in sorted((m for m in moves if m.to_org and not m.from_org),
                          key=lambda m: m.start):
        who = person_key(arrival.person)
        leaving = [m for m in out if m.from_org and not m.to_org and m.from_org != arrival.to_org
                   and person_key(m.person) == who]
        if not leaving or arrival not in out:
            continue
        departure = min(leaving, key=lambda m: abs(m.start - arrival.start))
        first, second = sorted((departure, arrival), key=lambda m: m.start)
        joined = replace(first, from_org=departure.from_org, to_org=arrival.to_org,
                         kind=arrival.kind if first is departure and arrival.kind != "joined"
                         else first.kind)
        out = [m for m in out if m is not departure and m is not arrival]
        out.append(_fill_from(joined, second))
    return out


def _returns(moves: list[Move]) -> list[Move]:
    """A return with no origin ("X is returning to OpenAI") comes from where the person
    went when they left that organisation ("left OpenAI to start Ferrolight")."""
    out = []
    for move in moves:
        if move.from_org is None and move.to_org and R.RETURN.search(fold(move.evidence)):
            went = next((m.to_org for m in moves if m.from_org == move.to_org and m.to_org
                         and person_key(m.person) == person_key(move.person)), None)
            if went:
                move = replace(move, from_org=went)
        out.append(move)
    return out


def _merge(moves: list[Move]) -> list[Move]:
    """One move per (person, origin, destination); a move with an open side that another
    of the same person fills says less and is folded into it."""
    moves = _returns(_pair(moves))
    by_key: dict[tuple[str, str | None, str | None], Move] = {}
    for move in moves:
        key = (person_key(move.person), move.from_org, move.to_org)
        held = by_key.get(key)
        by_key[key] = move if held is None else _fill_from(held, move)
    people: dict[str, list[Move]] = {}
    for (who, _, _), move in by_key.items():
        people.setdefault(who, []).append(move)
    out: list[Move] = []
    for group in people.values():
        kept: list[Move] = []
        for move in group:
            if not any(_says_less(move, other) for other in group):
                kept.append(_fill_all(move, [m for m in group if _says_less(m, move)]))
        leaving = [m for m in kept if m.from_org and not m.to_org]
        arriving = [m for m in kept if m.to_org and not m.from_org]
        if len(kept) == 2 and len(leaving) == 1 and len(arriving) == 1 and (
                leaving[0].from_org != arriving[0].to_org):
            first, second = sorted(kept, key=lambda m: m.start)
            joined = replace(first, from_org=leaving[0].from_org, to_org=arriving[0].to_org)
            kept = [_fill_from(joined, second)]
        out.extend(kept)
    return sorted(out, key=lambda m: (m.start, m.person))


def _says_less(move: Move, other: Move) -> bool:
    return other is not move and move.from_org in (None, other.from_org) and move.to_org in (
        None, other.to_org)


def _fill_all(move: Move, others: list[Move]) -> Move:
    for other in sorted(others, key=lambda m: m.start):
        move = _fill_from(move, other)
    return move


def _fill_from(held: Move, later: Move) -> Move:
    """`held` with the role, and a date read in the text, that only `later` has."""
    role = held.role or later.role
    rank = {"text": 2, "relative": 1}
    if rank.get(later.date_source or "", 0) > rank.get(held.date_source or "", 0):
        return replace(held, role=role, date=later.date, date_source=later.date_source)
    return replace(held, role=role)


def extract_moves(
    article: Article, organisations: Sequence[Organisation], outlets: Sequence[str] = ()
) -> list[Move]:
    """The talent moves the article states, one per (person, origin, destination), each
    with the sentence that states it (an exact slice of the body at `start`)."""
    body = article.body
    if not body or not body.strip():
        return []
    moves = _Reader(article, R.build_lexicon(tuple(organisations), tuple(outlets))).moves()
    return [m for m in moves if body[m.start:m.start + len(m.evidence)] == m.evidence]
