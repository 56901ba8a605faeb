"""Recognisers for identifiers in harm-reduction interviews, written for this field.

spaCy's small English model misses much of what identifies someone in an outreach interview:
first names alone in speech ("so Marisol said"), street nicknames ("they call him Smokey"),
street corners ("5th and Main", "over on Burnside"), programme and clinic names ("Eastside
Harm Reduction", which it calls a place). These plain regular expressions (no model, no
network) find them from the words around them; the engine merges their findings with
Presidio's. Phone numbers, e-mail and web addresses and absolute dates are matched here too,
so that nothing needs Presidio's network-fetching e-mail and URL recognisers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    """A word list written as one string (easier to read than a quoted list)."""
    return text.split()


@dataclass(frozen=True, slots=True)
class Finding:
    """One identifier found in a text: code-point span ``[start, end)`` and its type."""

    start: int
    end: int
    entity_type: str
    text: str
    score: float
    recogniser: str


# --- word lists --------------------------------------------------------------------------

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
# a capitalised word (names, places): Marisol, O'Malley, McAllister, Tri-County, T
NAME = rf"[{_UP}][{_UP}{_LOW}'’\-]*"
ORD_WORDS = _words(
    """
    first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
    thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth
    twentieth
    """
)
ORDINAL = r"(?:\d{1,3}(?:st|nd|rd|th)|" + "|".join(w.capitalize() for w in ORD_WORDS) + r")"
STREET_SUFFIXES = _words(
    """
    Street St Avenue Ave Av Road Rd Boulevard Blvd Drive Dr Lane Ln Way Place Pl Court
    Ct Highway Hwy Parkway Pkwy Terrace Ter Trail Loop Pike Circle Cir Alley Row
    Expressway Freeway Turnpike
    """
)
SUFFIX = r"(?:" + "|".join(STREET_SUFFIXES) + r")\b\.?"
DIRECTION = (
    r"(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West|Northeast|Northwest|Southeast|Southwest)\.?"
)
ORG_WORDS = frozenset(
    _words(
        """
    Program Programs Programme Project Services Service Outreach Team Coalition Alliance
    Network Collective Foundation Society Association Partnership Initiative Ministries
    Ministry Mission Agency Department Dept Union Council Committee Coop Co-op
    Cooperative Corps Reduction Recovery Connections Connection Exchange Access Works
    Concern Solutions Action Advocates Advocacy Group Institute Inc LLC Corporation Corp
    Company Fund Trust Authority Bureau Office Taskforce Force Response Unit Squad
    Navigation Collaborative Consortium Partners Friends Families Circle Alliance's
    """
    )
)
FACILITY_WORDS = frozenset(
    _words(
        """
    Clinic Clinics Center Centre Hospital House Shelter Pharmacy Library Church Chapel
    Temple Mosque Cathedral Jail Prison Detention Motel Hotel Inn Lodge Hall Home Homes
    Health Medical Wellness Treatment Detox Rehab Residence Residences Apartments
    Village Commons Kitchen Pantry Cafe Café Diner Station Terminal Stadium Arena School
    Academy College University Hub Annex Shack Mall Market Plaza Tower Towers Courthouse
    Dispensary
    """
    )
)
LANDMARK_WORDS = frozenset(
    _words(
        """
    Bridge Park Square Creek River Lake Beach Trail Woods Heights Hill Hills Pier
    Waterfront Fountain Underpass Overpass Viaduct Tunnel Campground Camp Gardens Garden
    Green Field Fields Yard Yards Lot Grove Point Falls Valley Canyon Bluff Bay Harbor
    Harbour Island Ridge
    """
    )
)
# "Project Safe Haven", "Casa Esperanza": a first word that makes the run an organisation
ORG_PREFIXES = frozenset(["Project", "Proyecto", "Casa", "Operation", "Camp", "Hogar", "Centro"])
SAINT = frozenset({"St.", "Saint", "San", "Santa", "St"})
PLACE_WORDS = frozenset(["County", "Parish", "City", "Town", "Township", "Borough", "Valley"])
MONTHS = _words(
    """
    January February March April May June July August September October November
    December
    """
)
MONTH_ABBR = _words(
    """
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    """
)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# capitalised words that interviews are full of and that identify nobody (acronyms match
# exactly: "DOC" the department, not "Doc" the nickname)
_COMMON_WORDS = (
    _words(
        """
    I I'm I'd I'll I've Im Ive OK Okay Ok God Jesus Lord Mom Mum Mom's Dad Dad's Mama
    Papa Grandma Grandpa Granny Ma Pa Sir Ma'am Bro Dude Yeah Yes No Nope Yep Um Uh Uhm
    Hmm Mm Oh Ah Well So And But Or Like Right Sure Honestly Actually Basically
    Literally Really Just Then Now Because Cause Also Anyway Anyways Maybe Probably
    Definitely Obviously Sometimes Usually Yesterday Today Tomorrow Tonight Everyone
    Everybody Everything Someone Somebody Something Nobody Nothing Anyone Anybody
    Anything No-one He She They We You It That This These Those There Here What When
    Where Why Who Whom Which How Whatever If Once After Before During Since Until While
    Though Although Even Especially Only Still Again Not Narcan Naloxone Kloxxado Zimhi
    Suboxone Subutex Buprenorphine Methadone Vivitrol Sublocade Fentanyl Fent Heroin
    Meth Xylazine Tranq Oxy Oxycontin Percocet Xanax Adderall Medicaid Medicare
    Obamacare SNAP WIC SSI SSDI HUD Section COVID Covid COVID-19 Corona HIV AIDS PrEP
    PEP Hep HCV HBV STI STD MAT MOUD OUD SUD OD ODs ER ED ICU EMS EMT CPR AA NA SMART
    CPS DHS DOC DA PO ID IDs CEO ED TV PTSD ADHD OCD LGBTQ LGBT BIPOC Zoom Facebook
    Instagram TikTok Twitter Snapchat Google YouTube Uber Lyft Amazon Walmart iPhone
    Android Christmas Thanksgiving Easter Halloween English Spanish Black White Brown
    Latino Latina Latinx Hispanic Native Indigenous Asian African American Americans
    Mexican Christian Catholic Muslim Jewish Republican Democrat Republicans Democrats
    Interviewer Participant Speaker Moderator Respondent Facilitator Q A Mr Mrs Ms Dr St
    Officer Nurse Doctor Pastor Deputy Sergeant Judge Cops Cop Police Sheriff Last Next
    The A An Folks Folk People Guys Ladies Y'all Every Each Our Their His Her My Your
    Its Some Any All Both Most Many Much More Few
    """
    )
    + MONTHS
    + WEEKDAYS
    + [d + "s" for d in WEEKDAYS]
)
COMMON = frozenset(w.casefold() for w in _COMMON_WORDS if not (w.isupper() and len(w) > 1))
ACRONYMS = frozenset(w for w in _COMMON_WORDS if w.isupper() and len(w) > 1)
DAY_WORDS = frozenset(w.casefold() for w in MONTHS + WEEKDAYS + [d + "s" for d in WEEKDAYS])
TITLES = _words(
    """
    Dr Doctor Officer Ofc Deputy Sgt Sergeant Detective Det Mr Mrs Ms Miss Mx Nurse
    Pastor Father Fr Sister Judge Coach Captain Capt Lt Lieutenant Chief Professor Prof
    Rev Reverend Aunt Auntie Uncle Grandma Grandpa Trooper Agent Counselor Commissioner
    Mayor Senator Councilman Councilwoman Sheriff Principal Ranger Elder Brother
    """
)
# nouns after which a capitalised word is a person ("my friend Marisol", "this guy Darnell")
PERSON_NOUNS = _words(
    """
    friend friends buddy buddies homie coworker co-worker coworkers colleague colleagues
    supervisor boss manager director coordinator partner boyfriend girlfriend husband
    wife ex fiance fiancé son daughter brother sister cousin uncle aunt auntie niece
    nephew grandson granddaughter mom dad mother father neighbor neighbour roommate
    client clients participant patient peer guy dude man woman lady girl boy kid fella
    gentleman navigator counselor counsellor mentor sponsor caseworker worker nurse
    doctor therapist pastor officer deputy trainee intern volunteer teammate lead
    """
)
PERSON_AFTER = (
    r"(?:said|says|told|tells|asked|asks|texted|texts|called|calls|yelled|came|comes|went|goes"
    r"|passed|died|overdosed|OD'd|OD’d|showed|gave|helped|taught|trained|started|left|quit|got"
    r"|was\s+like|is\s+like|and\s+I|and\s+me|used\s+to|would|always|never|just|was|is|had|has)"
)
SPEECH_BEFORE = (
    r"(?:told|tell|asked|ask|texted|text|called|call|thanked|thank|hugged|met|meet|with|"
    r"me\s+and|trained\s+by|talked\s+to|talk\s+to|talking\s+to|spoke\s+to|speak\s+to|"
    r"ran\s+into|checked\s+on|check\s+on|worked\s+with|working\s+with|lost|and|remember|"
    r"remembered|miss|missed|love|loved|know|knew|saw|see|visited|visit|trust|trusted|hired|"
    r"fired|replaced|thank|hug)"
)
PLACE_BEFORE = (
    r"(?:in|from|near|outside(?:\s+of)?|around|out\s+in|up\s+in|down\s+in|over\s+in|"
    r"moved\s+to|move\s+to|moving\s+to|drive\s+to|drove\s+to|driving\s+\w+(?:\s+\w+)?\s+to|"
    r"way\s+to|out\s+to|back\s+to|trip\s+to|live\s+in|lived\s+in|living\s+in|grew\s+up\s+in|"
    r"based\s+in|towns?\s+like|city\s+of|town\s+of|cities\s+like|all\s+over)"
)


def _words_re(words: list[str] | frozenset[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


# --- spans to leave alone ----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,60}\]")
_LABEL = re.compile(
    r"^[ \t]*(?:\[?\(?\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\)?\]?[ \t]*)?"
    rf"((?:[{_UP}0-9][\w.'’\-]*)(?:[ \t][{_UP}0-9][\w.'’\-]*){{0,2}})[ \t]*:(?=\s|$)",
    re.MULTILINE,
)


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """Bracketed placeholders already in the text ("[town]", "[person 2]")."""
    return [m.span() for m in _PLACEHOLDER.finditer(text)]


def speaker_label_spans(text: str) -> list[tuple[int, int]]:
    """The speaker label opening a line ("Interviewer:", "Speaker 1:", "P03:")."""
    return [m.span(1) for m in _LABEL.finditer(text)]


#: speaker labels that name a role, not a person; with a number ("Speaker 2", "P03",
#: "SPEAKER_00") or a separate letter ("Participant B") too; case ignored
GENERIC_LABELS = _words(
    """
    interviewer interviewers interviewee participant participants respondent respondents
    moderator facilitator co-facilitator researcher speaker speakers int intv iv ie resp
    part mod fac res i r q a p s question answer unknown unidentified inaudible audience
    group all both everyone several multiple crosstalk voice voices host guest caller
    transcriber translator interpreter narrator observer note notes staff team
    """
)
_GENERIC_LABEL = re.compile(
    rf"(?:{_words_re(GENERIC_LABELS)})(?:[ _\-#]?\d{{1,3}}|[ _\-][A-Z])?"
    r"|[A-Z]{1,3}[ _\-]?\d{1,3}",
    re.IGNORECASE,
)
_ROLE_WORDS = frozenset(w.casefold() for w in TITLES + PERSON_NOUNS + GENERIC_LABELS)


def is_generic_label(label: str) -> bool:
    """A label that names a role ("Interviewer", "Speaker 2", "P03", "Moderator"), never a
    person: left alone by detection."""
    return _GENERIC_LABEL.fullmatch(" ".join(label.split())) is not None


def _label_name_start(label: str) -> int | None:
    """Where the name in a label starts, after any titles ("Dr. Patel" -> "Patel"); None
    when the label is generic or all role and everyday words ("Mom", "Nurse", "Caller")."""
    if is_generic_label(label):
        return None
    words = [(m.start(), m.group()) for m in re.finditer(r"\S+", label)]
    if all(_is_common(w) or w.rstrip(".").casefold() in _ROLE_WORDS for _, w in words):
        return None
    for at, word in words:
        if word.rstrip(".") not in TITLES:
            return at
    return None


def label_is_name(label: str) -> bool:
    """Whether a speaker label may name a person ("Maria Lopez", "Dr. Patel", "Jake")."""
    return _label_name_start(label) is not None


def speaker_labels(text: str) -> tuple[list[tuple[int, int]], list[Finding]]:
    """(spans of role labels, to leave alone; a PERSON finding for each label that is a
    name, "Maria Lopez:", without its titles)."""
    roles: list[tuple[int, int]] = []
    names: list[Finding] = []
    for m in _LABEL.finditer(text):
        start, end = m.span(1)
        at = _label_name_start(m.group(1))
        if at is None:
            roles.append((start, end))
        else:
            names.append(
                Finding(start + at, end, "PERSON", text[start + at : end], 0.7, "speaker-label")
            )
    return roles, names


# --- known names -------------------------------------------------------------------------


def known_pattern(terms: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for the project's known names, longest first, on word
    boundaries (a possessive 's after the name is left outside the match)."""
    parts = []
    for term in sorted({t for t in terms if t}, key=len, reverse=True):
        words = term.split()
        parts.append(r"\s+".join(re.escape(w) for w in words))
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


# --- the recognisers ---------------------------------------------------------------------

_CAPWORD = rf"(?:St\.|Mt\.|{NAME}|{ORDINAL})"
_CONNECT = r"(?:of|de|del|la|los|las|for|&|y)"
_RUN = re.compile(rf"(?<![\w'’]){_CAPWORD}(?:[ \t]+(?:{_CONNECT}[ \t]+)?{_CAPWORD})*")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;”—]|\n)\s*$")


def _is_common(word: str) -> bool:
    bare = re.sub(r"['’]s$", "", word).strip(".")
    if bare in ACRONYMS or word in ACRONYMS:
        return True
    return bare.casefold() in COMMON or word.casefold() in COMMON


def _sentence_start(text: str, start: int) -> bool:
    """Whether a word opens a sentence (an opening quote before it does not count)."""
    before = text[max(0, start - 6) : start].rstrip("\"“'‘ \t")
    return _SENTENCE_END.search(before[-4:] if before else "") is not None


def _runs(text: str) -> Iterator[tuple[int, list[tuple[int, int]]]]:
    """Runs of capitalised words, as (run start, token spans), with leading common words
    ("So", "And", "The") and any trailing connector dropped."""
    for match in _RUN.finditer(text):
        tokens = [
            (m.start() + match.start(), m.end() + match.start())
            for m in re.finditer(r"\S+", match.group())
        ]
        titled = _TITLE_BEFORE.search(text[max(0, match.start() - 30) : match.start()])
        while tokens and not titled and _is_common(text[tokens[0][0] : tokens[0][1]]):
            word = text[tokens[0][0] : tokens[0][1]]
            if word in SAINT:
                break
            tokens.pop(0)
            while tokens and re.fullmatch(_CONNECT, text[tokens[0][0] : tokens[0][1]]):
                tokens.pop(0)
        if tokens:
            yield tokens[0][0], tokens


def _lone_kind_word(word: str) -> bool:
    return word in ORG_WORDS or word in FACILITY_WORDS or word in LANDMARK_WORDS


def _classify(words: list[str]) -> str | None:
    """ORGANIZATION / FACILITY / STREET_ADDRESS / LOCATION from a run's own words."""
    bare = [w.rstrip(".").removesuffix("'s").removesuffix("’s") for w in words]
    last = bare[-1]
    if len(words) >= 2 and words[0] in SAINT and last not in STREET_SUFFIXES:
        return "FACILITY"
    if len(words) < 2:
        return None
    if bare[0] in ORG_PREFIXES:
        return "ORGANIZATION"
    if last in STREET_SUFFIXES:
        return "STREET_ADDRESS"
    if last in ORG_WORDS:
        return "ORGANIZATION"
    if last in FACILITY_WORDS:
        return "FACILITY"
    if last in LANDMARK_WORDS or last in PLACE_WORDS or bare[0] in PLACE_WORDS:
        return "LOCATION"
    if any(w in ORG_WORDS for w in bare):
        return "ORGANIZATION"
    if any(w in FACILITY_WORDS for w in bare):
        return "FACILITY"
    return None


_PERSON_BEFORE = re.compile(
    r"(?i:\b(?:" + "|".join(PERSON_NOUNS) + r"|named|nicknamed|name\s+is|name\s+was|name's"
    r"|known\s+as|goes\s+by|go\s+by|went\s+by|going\s+by|call(?:s|ed)?\s+(?:him|her|them|me)"
    r"|called))[ \t]*[\"“']?[ \t]*$"
)
_SPEECH_BEFORE = re.compile(r"(?i:\b" + SPEECH_BEFORE + r")[ \t]+$")
_PLACE_BEFORE = re.compile(r"(?i:\b" + PLACE_BEFORE + r")[ \t]+(?:the[ \t]+)?$")
_STREET_BEFORE = re.compile(
    r"(?i:\b(?:on|down\s+on|over\s+on|up\s+on|out\s+on|off|off\s+of|along|onto|across|"
    r"corner\s+of|intersection\s+of|down|up|cross)[ \t]+(?:the[ \t]+)?)$"
)
_PERSON_AFTER = re.compile(r"^[ \t]*,?[ \t]*\b" + PERSON_AFTER + r"\b")
_TITLE_BEFORE = re.compile(r"(?:^|(?<=\W))(?:" + "|".join(TITLES) + r")\.?[ \t]+$", re.IGNORECASE)


def proper_nouns(text: str) -> Iterator[Finding]:
    """Capitalised runs typed by their own words (organisations, clinics, streets,
    landmarks) or by the words around them (people, towns)."""
    for start, tokens in _runs(text):
        words = [text[s:e] for s, e in tokens]
        end = tokens[-1][1]
        # a trailing possessive stays outside ("Maria's" -> Maria)
        if words[-1].endswith(("'s", "’s")) and _classify(words) is None:
            end -= 2
            words[-1] = words[-1][:-2]
        while words and words[-1].endswith("."):
            if words[-1] in ("St.", "Mt.") or words[-1].rstrip(".") in STREET_SUFFIXES:
                break
            end -= 1
            words[-1] = words[-1][:-1]
        if not words or not words[-1]:
            continue
        if words[-1].casefold() in ("and", "of"):
            continue
        kind = _classify(words)
        before = text[max(0, start - 60) : start]
        after = text[end : end + 40]
        if kind is not None:
            yield Finding(start, end, kind, text[start:end], 0.9, "field-name")
            continue
        if _TITLE_BEFORE.search(before) and len(words) <= 2:
            yield Finding(start, end, "PERSON", text[start:end], 0.95, "field-title")
            continue
        if any(w.casefold() in DAY_WORDS for w in words):
            continue
        if len(words) == 1 and (
            _is_common(words[0]) or _lone_kind_word(words[0]) or len(words[0]) == 1
        ):
            continue
        if len(words) == 1 and re.fullmatch(ORDINAL, words[0]):
            if _STREET_BEFORE.search(before):
                yield Finding(start, end, "STREET_ADDRESS", text[start:end], 0.8, "field-street")
            continue
        initial = _sentence_start(text, start)
        if _PERSON_BEFORE.search(before):
            yield Finding(start, end, "PERSON", text[start:end], 0.9, "field-person")
        elif _PLACE_BEFORE.search(before):
            yield Finding(start, end, "LOCATION", text[start:end], 0.8, "field-place")
        elif _STREET_BEFORE.search(before) and not initial:
            yield Finding(start, end, "STREET_ADDRESS", text[start:end], 0.8, "field-street")
        elif _PERSON_AFTER.search(after) or _SPEECH_BEFORE.search(before):
            yield Finding(start, end, "PERSON", text[start:end], 0.85, "field-person")
        elif not initial:
            # an unexplained capitalised word mid-sentence: in speech, usually a name
            yield Finding(start, end, "PERSON", text[start:end], 0.4, "field-capitalised")


_NICK = re.compile(
    r"(?i:\b(?:call(?:s|ed|ing)?\s+(?:him|her|them|me)|named|nicknamed|known\s+as|goes\s+by|"
    r"(?:know|knew|knows)\s+(?:him|her|them)\s+as|"
    r"go\s+by|went\s+by|going\s+by|called|calls\s+herself|calls\s+himself|name\s+is|name's))"
    r"[ \t]+[\"“']?((?:[A-Z][\w'’\-]*)(?:[ \t]+[A-Z][\w'’\-]*)?)[\"”']?"
)
_QUOTED = re.compile(r"[\"“]((?:[A-Z][\w'’\-]*)(?:[ \t]+[A-Z][\w'’\-]*){0,2})[\"”]")


def nicknames(text: str) -> Iterator[Finding]:
    """Street names: "they call him Smokey", "a guy named Tiny", "goes by Red", and a quoted
    name next to a person ("Mike “Smokey” Jones", "we called her “Peaches”")."""
    for match in _NICK.finditer(text):
        name = match.group(1)
        words = name.split()
        # a nickname's second word only when it is not an everyday word ("Big Mike", "Mama T")
        if len(words) == 2 and _is_common(words[1]):
            words = words[:1]
        if _is_common(words[0]) and len(words) == 1:
            continue
        start = match.start(1)
        end = start + len(" ".join(words)) if len(words) > 1 else start + len(words[0])
        end = start + len(text[start:end].removesuffix("'s").removesuffix("’s"))
        yield Finding(start, end, "PERSON", text[start:end], 0.9, "field-nickname")
    for match in _QUOTED.finditer(text):
        before = text[max(0, match.start() - 50) : match.start()]
        if re.search(r"(?i:call|named|nickname|known|goes|went|by)\W*\w*\W*$", before) or re.search(
            rf"{NAME}[ \t]*$", before
        ):
            yield Finding(
                match.start(1), match.end(1), "PERSON", match.group(1), 0.85, "field-nickname"
            )


_CORNER = re.compile(
    rf"(?<![\w'’])((?:{ORDINAL}|{NAME})(?:[ \t]+{SUFFIX})?)[ \t]+(?:and|&)[ \t]+"
    rf"((?:{ORDINAL}|{NAME})(?:[ \t]+{SUFFIX})?)(?![\w'’])"
)
_ADDRESS = re.compile(
    rf"(?<![\w.])\d{{1,6}}[ \t]+(?:{DIRECTION}[ \t]+)?(?:(?:{ORDINAL}|{NAME})[ \t]+){{1,3}}{SUFFIX}"
    rf"(?:,?[ \t]*(?:Apt|Apartment|Unit|Suite|Ste|#)\.?[ \t]*#?\w{{1,5}})?"
)
_DIRECTED_STREET = re.compile(
    rf"(?<![\w.])(?:{DIRECTION}[ \t]+)?(?:{ORDINAL}|{NAME})(?:[ \t]+{NAME})?[ \t]+{SUFFIX}"
)


def streets(text: str) -> Iterator[Finding]:
    """Street addresses ("1420 SE Division St"), streets ("Alder Street", "82nd Ave") and
    corners ("the corner of 5th and Main", "Fifth and Pine")."""
    for match in _ADDRESS.finditer(text):
        yield Finding(
            match.start(), match.end(), "STREET_ADDRESS", match.group(), 0.95, "field-address"
        )
    for match in _DIRECTED_STREET.finditer(text):
        words = match.group().split()
        if _is_common(words[0]) and not re.fullmatch(DIRECTION, words[0]):
            continue
        if words[-1].rstrip(".") in ("Dr", "St") and re.match(
            rf"[ \t]+{NAME}", text[match.end() :]
        ):
            continue  # "Dr. Patel", "St. Mary's": a title, not a street
        yield Finding(
            match.start(), match.end(), "STREET_ADDRESS", match.group(), 0.85, "field-street"
        )
    for match in _CORNER.finditer(text):
        a, b = match.group(1), match.group(2)
        ordinal = bool(re.fullmatch(ORDINAL, a.split()[0]) or re.fullmatch(ORDINAL, b.split()[0]))
        suffixed = len(a.split()) > 1 or len(b.split()) > 1
        before = text[max(0, match.start() - 30) : match.start()]
        cue = re.search(
            r"(?i:\b(?:corner\s+of|intersection\s+of|at|on|near|off|by|around|over\s+by|"
            r"between)[ \t]+(?:the[ \t]+)?)$",
            before,
        )
        if _is_common(a.split()[0]) or _is_common(b.split()[0]):
            continue
        if ordinal or suffixed or cue:
            yield Finding(
                match.start(), match.end(), "STREET_ADDRESS", match.group(), 0.85, "field-corner"
            )


_PHONE = re.compile(
    r"(?<![\w+])(?:\+?1[ \t.\-]?)?(?:\(\d{3}\)[ \t]?|\d{3}[ \t.\-])\d{3}[ \t.\-]\d{4}(?![\w])"
)
_SHORT_PHONE = re.compile(r"(?<![\w\-./])\d{3}-\d{4}(?![\w\-/])")
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_TLDS = "com|org|net|edu|gov|us|io|info|co|health|care|biz|me|ly|app"
_URL = re.compile(
    r"(?<![\w@.\-])(?:https?://[^\s<>\"“”]+|www\.[^\s<>\"“”]+|"
    rf"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.(?:{_TLDS})(?:/[^\s<>\"“”]*)?)(?![\w@\-])"
)


def contacts(text: str) -> Iterator[Finding]:
    """US phone numbers, e-mail addresses and web addresses."""
    for match in _PHONE.finditer(text):
        yield Finding(match.start(), match.end(), "PHONE_NUMBER", match.group(), 0.9, "field-phone")
    for match in _SHORT_PHONE.finditer(text):
        yield Finding(match.start(), match.end(), "PHONE_NUMBER", match.group(), 0.6, "field-phone")
    for match in _EMAIL.finditer(text):
        yield Finding(
            match.start(), match.end(), "EMAIL_ADDRESS", match.group(), 0.95, "field-email"
        )
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?)]'’")
        if re.fullmatch(r"[\w\-]+\.(?:me|co|us|ly)", url, re.IGNORECASE) and not url.startswith(
            ("http", "www")
        ):
            continue  # "tell.me" style slips of the transcript
        yield Finding(match.start(), match.start() + len(url), "URL", url, 0.85, "field-url")


_MONTH = r"(?:" + "|".join(MONTHS) + r"|(?:" + "|".join(MONTH_ABBR) + r")\.?)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_DATES = re.compile(
    r"(?<![\w/\-])(?:"
    rf"{_MONTH}[ \t]+{_DAY}(?:,?[ \t]+{_YEAR})?"  # March 3rd, June 12, 2021
    rf"|(?:the[ \t]+)?{_DAY}[ \t]+(?:of[ \t]+)?{_MONTH}(?:,?[ \t]+{_YEAR})?"  # the 19th of June
    rf"|(?:{'|'.join(MONTHS)})[ \t]+(?:of[ \t]+)?{_YEAR}"  # June 2019
    r"|\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})"  # 3/14/2022
    r"|\d{4}-\d{2}-\d{2}"  # 2022-03-14
    r"|\d{1,2}-\d{1,2}-\d{4}"
    r")(?![\w/])"
)


def dates(text: str) -> Iterator[Finding]:
    """Absolute dates ("March 3rd", "the 19th of June", "6/12/2021"); relative ones ("last
    Tuesday", "two years ago") and bare years identify nobody and are left alone."""
    for match in _DATES.finditer(text):
        value = match.group()
        yield Finding(match.start(), match.end(), "DATE_TIME", value, 0.85, "field-date")


def is_absolute_date(value: str) -> bool:
    """Whether an NER date names a day or month of a year (not "last Tuesday")."""
    return _DATES.search(value) is not None


def find_all(text: str) -> list[Finding]:
    """Every field recogniser's findings (overlapping; the engine resolves them). A full stop
    ending a street ("Alder Street.", "82nd Ave.") is left outside: it usually ends the
    sentence, and the placeholder reads the same without it."""
    found: list[Finding] = []
    for recogniser in (proper_nouns, nicknames, streets, contacts, dates):
        for f in recogniser(text):
            if f.entity_type == "STREET_ADDRESS" and f.text.endswith(".") and len(f.text) > 1:
                f = Finding(f.start, f.end - 1, f.entity_type, f.text[:-1], f.score, f.recogniser)
            found.append(f)
    return found
