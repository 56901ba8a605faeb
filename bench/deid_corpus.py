"""Synthetic harm-reduction interview transcripts with planted identifiers (deid benchmark).

``generate(split)`` writes, from a fixed seed, transcripts of ``Interviewer:`` /
``Participant:`` turns in which sentence frames carry identifiers — people (full names, first
names, nicknames, titles with surnames), towns, counties, street corners, streets, street
addresses, landmarks, outreach sites, clinics and programmes, phone numbers, e-mail and web
addresses and absolute dates — and records each one's gold span and entity type. Between them
run filler sentences with no identifier but with the capitalised words interviews are full of
(Narcan, Medicaid, COVID, God, "last Tuesday").

The vocabulary and the frames come in two disjoint parts: ``dev`` (used while writing the
recognisers) and ``test`` (held out: other names, towns, streets, organisations and sentence
frames), so the reported numbers are not tuned on the strings they are measured on.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field


def _words(text: str) -> list[str]:
    """A word list written as one string (easier to read than a quoted list)."""
    return text.split()


# --- vocabulary --------------------------------------------------------------------------

FIRST = {
    "dev": _words(
        """
    Maria Marisol Darnell Keisha Jamal Tyler Brandon Ashley Jessica Luis Carlos Ana Mei
    Priya Rahul Fatima Omar Aaliyah Tanya Kevin Derek Shawna Rosa Miguel Jorge Linh Tuan
    Kayla Dakota Cheyenne Hector Yolanda Monique Trevor Gabe Nadia Samir Latoya Crystal
    Dustin Amber Jasmine Terrell Bianca Wendell Ruth Doris Frank Earl Hannah Leah Noah
    Ethan Sophie Chloe Connor Isaiah Malik Xavier
    """
    ),
    "test": _words(
        """
    Lupe Alejandro Deshawn Tamika Imani Marcus Kenji Hiroshi Anjali Deepa Yusuf Layla
    Bilal Zainab Thuy Minh Ravi Sunita Tiffany Courtney Brittany Cody Travis Shane Wade
    Ramona Consuelo Guadalupe Ignacio Rafael Beatriz Andre Jerome Darius Ebony Kiara
    Shonda Winona Tallulah Sage Rowan Declan Siobhan Gretchen Lorraine Vernon Clyde
    Mabel Opal Dmitri Oksana Nikolai Ingrid Sven Aroha Keanu Leilani Kwame Abena Esteban
    """
    ),
}
LAST = {
    "dev": _words(
        """
    Lopez Johnson Nguyen Patel Ramirez Williams Garcia Kim Lee Brown Jackson Martinez
    Robinson Singh Chen Okafor Thompson Rivera Hernandez Walker Miller Davis Clark Lewis
    Young Allen Wright Scott Torres Flores
    """
    ),
    "test": _words(
        """
    Abernathy Delacroix Okonkwo Nakamura Vasquez Castillo Washington Whitfield Sorensen
    Kowalski Petrov Haddad Mansour Tran Pham Yazzie Begay Kahananui Moreno Salazar
    Gutierrez Fitzgerald O'Malley McAllister Bautista Reyes Dubois Lindqvist Achebe
    Benally
    """
    ),
}
NICK = {
    "dev": [
        "Smokey",
        "Tiny",
        "Red",
        "Peaches",
        "Junebug",
        "Bird",
        "Slim",
        "Shorty",
        "Big Mike",
        "Boo",
        "Chino",
        "Sunshine",
        "Cowboy",
        "Doc",
        "Lucky",
    ],
    "test": [
        "Spider",
        "Pockets",
        "Moose",
        "Tater",
        "Ghost",
        "Rooster",
        "Lil Bit",
        "Bubba",
        "Flaco",
        "Mama T",
        "Scooter",
        "Dimples",
        "Biscuit",
        "Skeeter",
        "Pepper",
    ],
}
TITLES = {
    "dev": ["Dr.", "Officer", "Ms.", "Mr.", "Nurse"],
    "test": ["Doctor", "Deputy", "Mrs.", "Sergeant", "Pastor", "Judge"],
}
TOWN = {
    "dev": [
        "Gresham",
        "Beaverton",
        "Salem",
        "Eugene",
        "Medford",
        "Tacoma",
        "Spokane",
        "Yakima",
        "Boise",
        "Reno",
        "Fresno\n    ",
        "Bakersfield",
        "Modesto",
        "Stockton",
        "Redding",
        "Olympia",
        "Hillsboro",
        "Tigard",
        "Albany",
        "Bend",
    ],
    "test": [
        "Pueblo",
        "Bozeman",
        "Missoula",
        "Casper",
        "Flagstaff",
        "Yuma",
        "Las Cruces",
        "Amarillo",
        "Lubbock",
        "Tulsa\n    ",
        "Joplin",
        "Dayton",
        "Toledo",
        "Akron",
        "Scranton",
        "Bangor",
        "Burlington",
        "Macon",
        "Huntsville",
        "Chattanooga",
    ],
}
COUNTY = {
    "dev": ["Multnomah County", "Clackamas County", "Lane County", "Pierce County"],
    "test": ["Pima County", "Cuyahoga County", "Bernalillo County", "Jefferson County"],
}
STREET = {
    "dev": _words(
        """
    Alder Burnside Division Powell Sandy Foster Glisan Stark Belmont Hawthorne Main Pine
    Oak Elm Broadway Killingsworth
    """
    ),
    "test": _words(
        """
    Magnolia Juniper Sycamore Cottonwood Mesa Kellogg Lamar Central Grand Fremont Colfax
    Euclid Tremont Peachtree Delmar Larimer
    """
    ),
}
ORDINAL = {
    "dev": ["5th", "82nd", "122nd", "Fifth", "Third", "39th", "12th"],
    "test": ["7th", "14th", "103rd", "Seventh", "Second", "21st", "Ninth"],
}
SUFFIX = {
    "dev": ["Street", "St", "Avenue", "Ave", "Boulevard", "Road"],
    "test": ["Street", "Avenue", "Blvd", "Drive", "Way", "Lane", "Rd"],
}
LANDMARK = {
    "dev": [
        "Morrison Bridge",
        "Laurelhurst Park",
        "Union Station",
        "Pioneer Square",
        "Lloyd Center",
        "Waterfront Park",
    ],
    "test": [
        "Sellwood Bridge",
        "Washington Park",
        "Memorial Stadium",
        "Liberty Plaza",
        "Eastgate Mall",
        "Greyhound Station",
    ],
}
# (name, type): clinics and shelters are facilities, programmes and groups organisations
ORG = {
    "dev": [
        ("Eastside Harm Reduction", "ORGANIZATION"),
        ("Bridge Outreach Team", "ORGANIZATION"),
        ("Safe Points Syringe Services Program", "ORGANIZATION"),
        ("Project Safe Haven", "ORGANIZATION"),
        ("Casa Esperanza", "ORGANIZATION"),
        ("Central City Concern", "ORGANIZATION"),
        ("Northwest Recovery Alliance", "ORGANIZATION"),
        ("Cascade AIDS Project", "ORGANIZATION"),
        ("Second Chance Recovery", "ORGANIZATION"),
        ("Harbor Clinic", "FACILITY"),
        ("St. Mary's", "FACILITY"),
        ("Hope House", "FACILITY"),
        ("Riverside Health Center", "FACILITY"),
        ("New Beginnings Shelter", "FACILITY"),
        ("Providence Hospital", "FACILITY"),
    ],
    "test": [
        ("Westside Drug User Union", "ORGANIZATION"),
        ("Mesa Peer Collective", "ORGANIZATION"),
        ("Open Door Ministries", "ORGANIZATION"),
        ("Casa del Sol", "ORGANIZATION"),
        ("Project Lifeline", "ORGANIZATION"),
        ("Hilltop Syringe Access Program", "ORGANIZATION"),
        ("Red Rock Outreach", "ORGANIZATION"),
        ("Tri-County Needle Exchange", "ORGANIZATION"),
        ("Harm Reduction Coalition of Pima", "ORGANIZATION"),
        ("Bayview Wellness Center", "FACILITY"),
        ("Sacred Heart Hospital", "FACILITY"),
        ("St. Jude's", "FACILITY"),
        ("Lighthouse Recovery House", "FACILITY"),
        ("Good Shepherd Shelter", "FACILITY"),
        ("Northside Community Health Clinic", "FACILITY"),
    ],
}
DOMAINS = {
    "dev": ["eastsidehr.org", "gmail.com", "safepoints.org", "outlook.com"],
    "test": ["mesacollective.net", "yahoo.com", "hilltopssp.org", "protonmail.com"],
}
MONTHS = _words(
    """
    January February March April May June July August September October November
    December
    """
)

# --- sentence frames ---------------------------------------------------------------------
# slots: {first} {full} {nick} {title} {town} {county} {street} {corner} {bare_street}
# {address} {landmark} {org} {phone} {email} {url} {date}

FRAMES = {
    "dev": [
        "My friend {first} said we should just keep going back out there.",
        "So {first} told me, you know, that the client had moved.",
        "I was working with {full} at the time, and she was amazing.",
        "They call him {nick} because he's always got something going on.",
        "There's this guy named {nick} who comes by every week.",
        "Um, {title} was the one who would actually listen to us.",
        "We had to call {title} when things got bad.",
        "I grew up in {town}, so I knew a lot of these folks already.",
        "A lot of our people get pushed out to {town} now.",
        "We do outreach at the corner of {corner} most mornings.",
        "We set up over on {bare_street} on Thursdays.",
        "There's a camp under the {landmark} that we check on.",
        "Our table is by {landmark}, kind of near the fountain.",
        "The drop-in is at {address}, right by the bus stop.",
        "I started at {org} about four years ago.",
        "Then I moved over to {org}, which was a whole different culture.",
        "We refer a lot of people to {org} for wound care.",
        "You can reach the team at {phone}, that's the on-call line.",
        "My work cell is {phone} if you need anything.",
        "Just email me at {email} and I'll send it over.",
        "Everything's on {url} if people want to look it up.",
        "The overdose was on {date}, I'll never forget it.",
        "I got hired on {date}, right before everything changed.",
        "Me and {first} used to do the evening shift together.",
        "She works out of {county} mostly, with the mobile van.",
        "There was a shooting near {street} last year and it shook everybody.",
        "Our supervisor {first} is really good about debriefing.",
        "I remember {full} from the old needle exchange days.",
        "He goes by {nick} on the street, nobody knows his real name.",
        "We meet at {street} and then walk the route together.",
        "When {first} passed, the whole team took it hard.",
        "I texted {first} and she came right over with more kits.",
        "Folks started calling him {nick} after that winter.",
        "You'd see {nick} out by the river most nights.",
        "Oh, {nick}? He's been out there forever.",
        "I ran into {first} at the food bank.",
        "{full} was my first supervisor.",
        "There was {nick}, there was {first}, and then me.",
        "We all loved {nick}, honestly.",
        "It was {first}'s idea to start the group.",
        "People only ever knew her as {nick}.",
        "And then {nick} just disappeared for like a month.",
    ],
    "test": [
        "Honestly, {first} was the one who trained me on all of it.",
        "I remember asking {first} what I was supposed to do.",
        "Back then my manager was {full}, and he did not get it at all.",
        "Everybody knows him as {nick}, even the cops.",
        "This woman, we called her {nick}, she basically ran the block.",
        "I'd talk to {title} whenever somebody needed a referral.",
        "And {title} came out and kind of, like, tried to shut us down.",
        "My family's from {town}, but I've been here like ten years.",
        "We started driving people all the way to {town} for detox.",
        "We were posted up at {corner} almost every night.",
        "You'd find a bunch of folks down on {bare_street} by the tracks.",
        "People sleep behind {landmark} when it's raining.",
        "There's a spot near {landmark} where we leave supplies.",
        "Our office used to be at {address}, upstairs from the laundromat.",
        "I've been with {org} since it started.",
        "Before that I volunteered at {org} on weekends.",
        "A lot of clients go to {org} for their methadone.",
        "The hotline is {phone}, it's on the cards we hand out.",
        "Call me at {phone} if anything comes up.",
        "People can write to {email} for supplies.",
        "We post the schedule on {url} every Monday.",
        "It was {date} when we lost him.",
        "The new policy started {date}, and everything got harder.",
        "I used to ride along with {first} on the van.",
        "Most of our clients are in {county}, which is huge.",
        "The encampment on {street} got swept twice that month.",
        "My coworker {first} keeps me sane, honestly.",
        "We lost {full} to an overdose, and that one still hurts.",
        "Out there he's just {nick}, that's all anybody calls him.",
        "The van parks on {street} every other day.",
        "I called {first} right after and we just sat in the car.",
        "{first} and I started the Narcan trainings together.",
    ],
}
QUESTIONS = {
    "dev": [
        "Can you tell me about your role?",
        "What does a typical day look like for you?",
        "How did you get into this work?",
        "What kind of support do you get from your supervisor?",
        "Can you say more about that?",
        "How do you take care of yourself after a hard shift?",
        "And when you were at {org}, what was the training like?",
        "How long have you worked in {town}?",
    ],
    "test": [
        "Tell me a bit about how your week goes.",
        "What was the hardest part of starting out?",
        "Who do you go to when something goes wrong?",
        "How does the team debrief, if at all?",
        "What would you change if you could?",
        "What happened after that?",
        "So what was it like working for {org}?",
        "Is most of your outreach in {town}?",
    ],
}
FILLER = {
    "dev": [
        "Yeah, it's a lot, you know?",
        "I mean, we carry Narcan everywhere now.",
        "Honestly I think about quitting like every other week.",
        "Last Tuesday was rough, we had three overdoses in one day.",
        "A couple years ago it was mostly heroin, now it's all fentanyl.",
        "We do a lot of wound care and just listening.",
        "Medicaid paperwork alone takes forever.",
        "During COVID we were the only ones still out there.",
        "I pray a lot, God helps me get through it.",
        "The pay is not great, I'll be honest.",
        "Some days I just sit in my car for ten minutes before going home.",
        "We hand out test strips and hygiene kits.",
        "I'm not sure, I'd have to think about that.",
        "That's when I realized I needed a break.",
        "It's hard because you build these relationships.",
        "The police sweeps make everything worse.",
    ],
    "test": [
        "Right, right, and that's the thing.",
        "We started carrying Narcan and Kloxxado after that.",
        "Every Friday we do a team lunch, which helps.",
        "Two weeks ago somebody yelled at me for an hour.",
        "With Suboxone it's easier to keep people engaged.",
        "HIV testing is part of it too, and hep C.",
        "I'm in recovery myself, so it hits different.",
        "Thank God for my therapist, seriously.",
        "We get maybe one training a year.",
        "The ER doesn't always treat our folks well.",
        "Sometimes I just need to turn my phone off.",
        "It's exhausting but I love it.",
        "Yeah, I don't know, it just is what it is.",
        "Over the summer it was really bad.",
        "We did a Zoom training but nobody paid attention.",
        "They cut our budget again in the spring.",
    ],
}


@dataclass(frozen=True, slots=True)
class Gold:
    start: int
    end: int
    entity_type: str
    text: str
    #: the frame slot that planted it (first, nick, corner, org, ...)
    kind: str


@dataclass(slots=True)
class Transcript:
    name: str
    text: str
    split: str
    gold: list[Gold] = field(default_factory=list)


_SLOT = re.compile(r"\{(\w+)\}")


class _Filler:
    """Fills one frame's slots, keeping the gold span of each planted identifier."""

    def __init__(self, split: str, rng: random.Random) -> None:
        self.split = split
        self.rng = rng

    def pick(self, items: list[str]) -> str:
        return self.rng.choice(items)

    def phone(self) -> str:
        area, mid, end = (
            self.rng.randint(201, 989),
            self.rng.randint(200, 989),
            self.rng.randint(0, 9999),
        )
        forms = (
            [f"({area}) {mid}-{end:04d}", f"{area}-{mid}-{end:04d}"]
            if self.split == "dev"
            else [f"{area}.{mid}.{end:04d}", f"{area} {mid} {end:04d}", f"1-{area}-{mid}-{end:04d}"]
        )
        return self.pick(forms)

    def date(self) -> str:
        month = self.pick(MONTHS)
        day = self.rng.randint(1, 28)
        year = self.rng.randint(2015, 2023)
        suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(day, "th")
        if self.split == "dev":
            forms = [
                f"{month} {day}{suffix}",
                f"{month} {day}, {year}",
                f"{self.rng.randint(1, 12)}/{day}/{year}",
            ]
        else:
            forms = [
                f"the {day}{suffix} of {month}",
                f"{month[:3]}. {day}" if len(month) > 4 else f"{month} {day}",
                f"{year}-{self.rng.randint(1, 12):02d}-{day:02d}",
                f"{day} {month} {year}",
            ]
        return self.pick(forms)

    def value(self, slot: str) -> list[tuple[str, str | None]]:
        """Pieces of text, each with its gold type (None: not an identifier)."""
        s = self.split
        if slot == "first":
            return [(self.pick(FIRST[s]), "PERSON")]
        if slot == "full":
            return [(f"{self.pick(FIRST[s])} {self.pick(LAST[s])}", "PERSON")]
        if slot == "nick":
            nick = self.pick(NICK[s])
            if self.rng.random() < 0.25:
                return [("\u201c", None), (nick, "PERSON"), ("\u201d", None)]
            return [(nick, "PERSON")]
        if slot == "title":
            return [(self.pick(TITLES[s]) + " ", None), (self.pick(LAST[s]), "PERSON")]
        if slot == "town":
            return [(self.pick(TOWN[s]), "LOCATION")]
        if slot == "county":
            return [(self.pick(COUNTY[s]), "LOCATION")]
        if slot == "street":
            return [(f"{self.pick(STREET[s])} {self.pick(SUFFIX[s])}", "STREET_ADDRESS")]
        if slot == "bare_street":
            return [(self.pick(STREET[s]), "STREET_ADDRESS")]
        if slot == "corner":
            a = self.pick(ORDINAL[s] + STREET[s])
            b = self.pick(STREET[s])
            joiner = " and " if self.rng.random() < 0.8 else " & "
            return [(f"{a}{joiner}{b}", "STREET_ADDRESS")]
        if slot == "address":
            direction = self.pick(
                ["", "SE ", "N ", "NE ", "W "] if s == "dev" else ["", "South ", "E ", "NW ", "SW "]
            )
            number = self.rng.randint(100, 9999)
            street = self.pick(STREET[s] + ORDINAL[s])
            return [(f"{number} {direction}{street} {self.pick(SUFFIX[s])}", "STREET_ADDRESS")]
        if slot == "landmark":
            return [(self.pick(LANDMARK[s]), "LOCATION")]
        if slot == "org":
            name, kind = self.rng.choice(ORG[s])
            return [(name, kind)]
        if slot == "phone":
            return [(self.phone(), "PHONE_NUMBER")]
        if slot == "email":
            first, last = self.pick(FIRST[s]).lower(), self.pick(LAST[s]).lower()
            local = self.pick(
                [f"{first}.{last}", f"{first[0]}{last}", f"{first}{self.rng.randint(1, 99)}"]
            )
            return [(f"{local}@{self.pick(DOMAINS[s])}", "EMAIL_ADDRESS")]
        if slot == "url":
            domain = self.pick(DOMAINS[s])
            if domain.startswith(("gmail", "yahoo", "outlook", "protonmail")):
                domain = "harmreduction" + ("works.org" if s == "dev" else "now.net")
            return [
                (self.pick([f"www.{domain}", f"https://{domain}/outreach", f"{domain}"]), "URL")
            ]
        if slot == "date":
            return [(self.date(), "DATE_TIME")]
        raise KeyError(slot)


def _sentence(frame: str, filler: _Filler, at: int, gold: list[Gold]) -> str:
    """The frame with its slots filled; gold spans are recorded relative to ``at``."""
    out: list[str] = []
    pos = 0
    length = 0
    for match in _SLOT.finditer(frame):
        literal = frame[pos : match.start()]
        out.append(literal)
        length += len(literal)
        for piece, kind in filler.value(match.group(1)):
            if kind is not None:
                gold.append(
                    Gold(at + length, at + length + len(piece), kind, piece, match.group(1))
                )
            out.append(piece)
            length += len(piece)
        pos = match.end()
    out.append(frame[pos:])
    return "".join(out)


def generate(split: str = "test", count: int = 64, seed: int = 12) -> list[Transcript]:
    """``count`` transcripts of one vocabulary part ("dev" or "test"), the same every time."""
    if split not in FRAMES:
        raise ValueError(f"unknown split {split!r}")
    rng = random.Random(f"{seed}-{split}")
    filler = _Filler(split, rng)
    transcripts: list[Transcript] = []
    for index in range(count):
        gold: list[Gold] = []
        parts: list[str] = []
        at = 0
        label = "Participant" if index % 3 else f"P{index + 1:02d}"
        for turn in range(rng.randint(8, 12)):
            if turn % 2 == 0:
                prefix = "Interviewer: "
                frames = [rng.choice(QUESTIONS[split])]
            else:
                prefix = f"{label}: "
                frames = rng.sample(FRAMES[split], 2) + rng.sample(FILLER[split], 2)
                rng.shuffle(frames)
            at += len(prefix)
            sentences: list[str] = []
            for frame in frames:
                sentence = _sentence(frame, filler, at, gold)
                sentences.append(sentence)
                at += len(sentence) + 1
            line = prefix + " ".join(sentences)
            parts.append(line)
            # the last sentence's +1 stands for the newline instead of a space
        text = "\n".join(parts) + "\n"
        transcripts.append(Transcript(f"{split}-{index + 1:03d}", text, split, gold))
    for t in transcripts:
        for g in t.gold:
            assert t.text[g.start : g.end] == g.text, (t.name, g)
    return transcripts


if __name__ == "__main__":
    for part in ("dev", "test"):
        corpus = generate(part)
        planted = sum(len(t.gold) for t in corpus)
        words = sum(len(t.text.split()) for t in corpus)
        print(f"{part}: {len(corpus)} transcripts, {planted} identifiers, {words} words")
    print(generate("test", 1)[0].text[:1500])
