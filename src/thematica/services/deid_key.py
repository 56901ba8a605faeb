"""The de-identification key and placeholder settings, for :mod:`thematica.services.deid`.

The key (``deid_term``) maps each identifier to its placeholder, apart from the text. A term is
found again by a hash of its normalised form (``normalise_term``: "Maria", "maria's" and
"MARIA" are one entry), a plain SHA-256 while the key is unencrypted and a keyed HMAC once the
owners encrypt it, so equal terms meet without decrypting every row. The project's settings
hold the templates (``deid_placeholders``) and, for an encrypted key, its salt and verifier
(``deid_key``) — never the passphrase.

Numbers are given lazily: a term gets the N of ``[person N]`` the first time a numbered
placeholder is written for it (one more than the highest N of its type in the project), and
keeps it. A term whose number is still 0 and which has no placeholder of its own has never been
written: only then may a reviewer's placeholder for one occurrence become the term's own.

One person, one placeholder: a PERSON term written for the first time shares the placeholder
(number or own placeholder) of the one person it is part of. A single word ("Maria") shares
that of the full names it is a word of ("Maria Lopez"), when they all stand for one person; a
full name shares that of the single-word term its first or last word is ("Lopez"), unless that
term already stands for another full name. Titles and particles ("Dr", "de") are not words
here. Where a word points at more than one person ("Maria" after "Maria Lopez" and "Maria
Garcia") the term gets a number of its own and ``Resolver.ambiguous`` counts it, for the
report to ask a reviewer to check the key.

No permission checks here: the calling service checks and audits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from thematica.core.errors import InputError
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.intake.deid.keycrypt import KeyCipher
    from thematica.services.project import Project

#: the entity types a proposal may have (the detection engine's list, kept here so the CLI
#: and the checks need not import the engine)
ENTITY_TYPES = (
    "PERSON",
    "LOCATION",
    "ORGANIZATION",
    "FACILITY",
    "DATE_TIME",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "STREET_ADDRESS",
    "URL",
)
#: project settings keys
TEMPLATES_SETTING = "deid_placeholders"
KEY_SETTING = "deid_key"
ENCRYPTED_TERM = "(encrypted)"


def check_type(entity_type: str) -> str:
    value = entity_type.strip().upper()
    if value not in ENTITY_TYPES:
        raise InputError(
            f"unknown entity type {entity_type!r}; choose one of {', '.join(ENTITY_TYPES)}",
            choices=list(ENTITY_TYPES),
        )
    return value


def check_term_placeholder(placeholder: str) -> str:
    """A term's or an occurrence's own placeholder: written as is, so no ``{n}``."""
    from thematica.intake.deid.placeholders import validate_template

    text = validate_template(placeholder)
    if "{" in text or "}" in text:
        raise InputError(
            f"the placeholder {text!r} is written as is: leave out braces "
            "({n} belongs in an entity type's template)"
        )
    return text


def stored_settings(conn: Connection, project_id: int) -> dict[str, Any]:
    """The project's settings as stored now (not as read when the project was opened)."""
    return dict(conn.scalar(select(t.project.c.settings).where(t.project.c.id == project_id)) or {})


def write_settings(project: Project, conn: Connection, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` onto the stored settings inside the caller's transaction (another
    owner's change in between is kept); a value of None removes the setting."""
    project.db.serialize(conn, "settings", project.id)
    settings = stored_settings(conn, project.id)
    for name, value in changes.items():
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = value
    conn.execute(update(t.project).where(t.project.c.id == project.id).values(settings=settings))
    return settings


def templates(settings: Mapping[str, Any]) -> dict[str, str]:
    """Each entity type's template: the project's own, else the default."""
    from thematica.intake.deid.placeholders import DEFAULT_TEMPLATES

    own = settings.get(TEMPLATES_SETTING) or {}
    out = {name: DEFAULT_TEMPLATES.get(name, "[omitted]") for name in ENTITY_TYPES}
    out.update({k: v for k, v in own.items() if k in out and isinstance(v, str)})
    return out


class KeyLock:
    """How terms are hashed, stored and read: plainly, or under a passphrase."""

    def __init__(self, encrypted: bool, cipher: KeyCipher | None) -> None:
        self.encrypted = encrypted
        self.cipher = cipher

    @property
    def readable(self) -> bool:
        return not self.encrypted or self.cipher is not None

    def hash(self, term: str) -> str:
        from thematica.intake.deid.keycrypt import plain_hash
        from thematica.intake.deid.placeholders import normalise_term

        form = normalise_term(term)
        if not self.encrypted:
            return plain_hash(form)
        if self.cipher is None:
            raise needs_passphrase()
        return self.cipher.term_hash(form)

    def seal(self, term: str) -> str:
        if not self.encrypted:
            return term
        if self.cipher is None:
            raise needs_passphrase()
        return self.cipher.encrypt(term)

    def open(self, stored: str, encrypted: bool) -> str:
        if not encrypted:
            return stored
        if self.cipher is None:
            return ENCRYPTED_TERM
        return self.cipher.decrypt(stored)


def needs_passphrase() -> InputError:
    return InputError(
        "the de-identification key is encrypted: give its passphrase", hint="passphrase"
    )


def key_lock(
    conn: Connection, project_id: int, passphrase: str | None, *, required: bool = False
) -> KeyLock:
    """The project's key lock: a wrong passphrase is refused here, before anything is written;
    ``required`` refuses a missing one for an encrypted key."""
    cfg = stored_settings(conn, project_id).get(KEY_SETTING) or {}
    if not cfg.get("salt"):
        return KeyLock(False, None)
    if passphrase is None:
        if required:
            raise needs_passphrase()
        return KeyLock(True, None)
    from thematica.intake.deid.keycrypt import KeyCipher

    cipher = KeyCipher(passphrase, str(cfg["salt"]))
    cipher.check(str(cfg.get("verifier") or ""))
    return KeyLock(True, cipher)


@dataclass(slots=True)
class Term:
    id: int
    entity_type: str
    term_hash: str
    stored: str
    encrypted: bool
    placeholder: str | None
    number: int
    known: bool


def load_terms(conn: Connection, project_id: int) -> dict[tuple[str, str], Term]:
    c = t.deid_term.c
    return {
        (r.entity_type, r.term_hash): Term(
            int(r.id),
            r.entity_type,
            r.term_hash,
            r.term,
            bool(r.encrypted),
            r.placeholder,
            int(r.number or 0),
            bool(r.known),
        )
        for r in conn.execute(
            select(
                c.id,
                c.entity_type,
                c.term_hash,
                c.term,
                c.encrypted,
                c.placeholder,
                c.number,
                c.known,
            )
            .where(c.project_id == project_id)
            .order_by(c.id)
        )
    }


class Resolver:
    """Chooses each occurrence's placeholder the way a commit writes it.

    ``conn`` None: a dry run (the review list shows what a commit *would* write, numbers
    included, without storing anything). Otherwise new terms, numbers and adopted placeholders
    are written as they are decided.
    """

    def __init__(
        self,
        lock: KeyLock,
        terms: dict[tuple[str, str], Term],
        templates: Mapping[str, str],
        *,
        conn: Connection | None = None,
        project_id: int = 0,
        actor: str | None = None,
    ) -> None:
        self.lock = lock
        self.terms = terms
        self.templates = templates
        self.conn = conn
        self.project_id = project_id
        self.actor = actor
        self.next_number: dict[str, int] = {}
        for term in terms.values():
            self.next_number[term.entity_type] = max(
                self.next_number.get(term.entity_type, 1), term.number + 1
            )
        self._fake_id = -1
        #: PERSON terms whose placeholder could not be shared because a word of theirs
        #: points at more than one person
        self.ambiguous = 0
        self._words: dict[int, tuple[str, ...]] = {}

    def term_placeholder(self, term: Term) -> str | None:
        """What the key writes for ``term`` now (None: it has no number yet)."""
        from thematica.intake.deid.placeholders import render

        if term.placeholder:
            return term.placeholder
        if term.number:
            return render(self.templates[term.entity_type], term.number)
        return None

    def find(self, entity_type: str, text: str) -> Term | None:
        return self.terms.get((entity_type, self.lock.hash(text)))

    def resolve(self, entity_type: str, text: str, own: str | None) -> tuple[str, Term]:
        """The placeholder written for one occurrence of ``text``: the reviewer's own for this
        occurrence (which becomes the term's own if the term has never been written), else the
        term's, else the type's template with the term's number (given now if it has none)."""
        from thematica.intake.deid.placeholders import render

        term = self.find(entity_type, text) or self._new_term(entity_type, text)
        if own and own != term.placeholder:
            if term.placeholder is None and term.number == 0:
                term.placeholder = own
                self._store(term, placeholder=own)
            return own, term
        if not term.placeholder and term.number == 0 and entity_type == "PERSON":
            other = self._same_person(term, text)
            if other is not None:
                self._share(term, other)
        if term.placeholder:
            return term.placeholder, term
        if term.number == 0:
            self._number(term)
        return render(self.templates[entity_type], term.number), term

    def _number(self, term: Term) -> None:
        term.number = self.next_number.get(term.entity_type, 1)
        self.next_number[term.entity_type] = term.number + 1
        self._store(term, number=term.number)

    def _term_words(self, term: Term) -> tuple[str, ...]:
        if term.id not in self._words:
            plain = self.lock.open(term.stored, term.encrypted) if self.lock.readable else ""
            self._words[term.id] = name_words(plain)
        return self._words[term.id]

    @staticmethod
    def _group(term: Term) -> tuple[str, Any]:
        """What ``term`` is written as (terms with the same group are one person)."""
        if term.placeholder:
            return ("own", term.placeholder)
        if term.number:
            return ("number", term.number)
        return ("term", term.id)  # never written: a person of its own so far

    def _same_person(self, term: Term, text: str) -> Term | None:
        """The PERSON term ``term`` is the same person as, by the rule in the module
        docstring; None when there is none or more than one (counted in ``ambiguous``)."""
        words = name_words(text)
        if not words:
            return None
        people = [x for x in self.terms.values() if x.entity_type == "PERSON" and x.id != term.id]
        if len(words) == 1:
            candidates = [
                x
                for x in people
                if len(self._term_words(x)) >= 2 and words[0] in self._term_words(x)
            ]
        else:
            ends = {words[0], words[-1]}
            candidates = [
                x
                for x in people
                if len(self._term_words(x)) == 1 and self._term_words(x)[0] in ends
            ]
            for x in candidates:  # "Maria" already stands for "Maria Lopez": not "Maria Garcia"
                group = self._group(x)
                if any(
                    len(self._term_words(y)) >= 2
                    and self._term_words(y) != words
                    and self._group(y) == group
                    for y in people
                ):
                    self.ambiguous += 1
                    return None
        groups = {self._group(x) for x in candidates}
        if len(groups) > 1:
            self.ambiguous += 1
        return candidates[0] if len(groups) == 1 else None

    def _share(self, term: Term, other: Term) -> None:
        if other.placeholder:
            term.placeholder = other.placeholder
            self._store(term, placeholder=other.placeholder)
            return
        if other.number == 0:
            self._number(other)
        term.number = other.number
        self._store(term, number=term.number)

    def _new_term(self, entity_type: str, text: str) -> Term:
        from thematica.services.project import now

        term_hash = self.lock.hash(text)
        if self.conn is None:
            term = Term(self._fake_id, entity_type, term_hash, "", False, None, 0, False)
            self._fake_id -= 1
            self._words[term.id] = name_words(text)
        else:
            stored = self.lock.seal(text.strip())
            new_id = self.conn.execute(
                insert(t.deid_term).values(
                    project_id=self.project_id,
                    entity_type=entity_type,
                    term_hash=term_hash,
                    term=stored,
                    encrypted=self.lock.encrypted,
                    placeholder=None,
                    number=0,
                    known=False,
                    created_by=self.actor,
                    created_at=now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            term = Term(
                int(new_id), entity_type, term_hash, stored, self.lock.encrypted, None, 0, False
            )
            self._words[term.id] = name_words(text)
        self.terms[(entity_type, term_hash)] = term
        return term

    def _store(self, term: Term, **values: Any) -> None:
        if self.conn is not None and term.id > 0:
            self.conn.execute(
                update(t.deid_term).where(t.deid_term.c.id == term.id).values(**values)
            )


#: words that do not tell people apart: titles, particles
_NOT_NAMES = frozenset(
    {"dr", "mr", "mrs", "ms", "miss", "mx", "jr", "sr", "the", "of", "and", "st"}
    | {"de", "da", "di", "du", "la", "le", "del", "van", "von", "der"}
)


def name_words(term: str) -> tuple[str, ...]:
    """The words of a person's name that tell people apart (normalised, no titles)."""
    from thematica.intake.deid.placeholders import normalise_term

    words = (w.strip(".,'’") for w in normalise_term(term).split())
    return tuple(w for w in words if len(w) >= 2 and w not in _NOT_NAMES)


def known_names(lock: KeyLock, terms: Iterable[Term]) -> list[tuple[str, str]]:
    """(term, entity type) of the project's known names, decrypted (the passphrase is needed
    for an encrypted key that has any)."""
    known = [term for term in terms if term.known]
    if any(term.encrypted for term in known) and lock.cipher is None:
        raise InputError(
            "the de-identification key is encrypted: give its passphrase so the project's "
            "known names can be searched for",
            hint="passphrase",
        )
    return [(lock.open(term.stored, term.encrypted), term.entity_type) for term in known]
