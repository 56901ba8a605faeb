"""Placeholder templates and the key form of an identifier.

A template such as ``[person {n}]`` turns the n-th distinct identifier of a type into its
placeholder; ``{n}`` is the only field, so a template is checked once when a user sets it
instead of failing half-way through a commit. ``normalise_term`` decides which spellings of
an identifier are one key entry ("Maria", "maria's", "MARIA").
"""

from __future__ import annotations

import re
import string
import unicodedata

from thematica.core.errors import InputError
from thematica.core.text import normalise

DEFAULT_TEMPLATES: dict[str, str] = {
    "PERSON": "[person {n}]",
    "LOCATION": "[place {n}]",
    "ORGANIZATION": "[organisation {n}]",
    "FACILITY": "[facility {n}]",
    "STREET_ADDRESS": "[address {n}]",
    "DATE_TIME": "[date]",
    "PHONE_NUMBER": "[phone number]",
    "EMAIL_ADDRESS": "[email address]",
    "URL": "[web address]",
}

MAX_TEMPLATE_CHARS = 100

_FIELDS = frozenset({"n"})
#: control, format, surrogate, unassigned (Unicode general categories)
_ODD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn"})
_SPACE = re.compile(r"\s+")
_POSSESSIVE = re.compile(r"['\u2019]s$")
# surrounding punctuation: quotes, brackets, commas, full stops, dashes ... (not inner ones)
_EDGE = "".join(sorted(set(string.punctuation) | set("\u2018\u2019\u201c\u201d\u2013\u2014\u2026")))


def render(template: str, n: int) -> str:
    """The placeholder for the ``n``-th identifier of a type (templates without ``{n}``
    render the same for every identifier)."""
    return template.format(n=n)


def validate_template(template: str) -> str:
    """The template stripped, or a one-line InputError saying what is wrong with it."""
    text = template.strip()
    if not text:
        raise InputError("the placeholder template is empty")
    if len(text) > MAX_TEMPLATE_CHARS:
        raise InputError(
            f"the placeholder template is {len(text)} characters long "
            f"(at most {MAX_TEMPLATE_CHARS})"
        )
    if "\n" in text or "\r" in text:
        raise InputError("the placeholder template must be one line")
    _refuse_odd_characters(text)
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise InputError(
            f"the placeholder template {text!r} has an unmatched brace ({exc}); "
            "write {{ or }} for a literal brace"
        ) from None
    unknown = sorted({name for name in fields if name not in _FIELDS})
    if unknown:
        shown = ", ".join("{" + name + "}" for name in unknown)
        raise InputError(
            f"the placeholder template {text!r} names {shown}; only {{n}} (the number) is known"
        )
    try:
        render(text, 1)
    except (ValueError, IndexError, KeyError, AttributeError) as exc:
        raise InputError(f"the placeholder template {text!r} cannot be filled in: {exc}") from None
    return text


def _refuse_odd_characters(text: str) -> None:
    """A placeholder goes into the document text as written: a character that the text's
    normalisation would change or drop (NUL, a page break, U+2028, NFD accents) or that a
    browser or XML cannot carry (format, surrogate, unassigned: U+FFFE) would shift every
    offset after it between the server, the pages and a later re-import or qdpx export."""
    for ch in text:
        if unicodedata.category(ch) in _ODD_CATEGORIES:
            raise InputError(
                f"the placeholder template {text!r} holds the invisible or unassigned "
                f"character U+{ord(ch):04X}; use visible characters only"
            )
    if normalise(text) != text:
        raise InputError(
            f"the placeholder template {text!r} is not in the form document text is stored in "
            "(composed accents, no line or page breaks); retype it"
        )


def normalise_term(term: str) -> str:
    """The key form of an identifier: NFC, case-folded, single spaces, no surrounding
    punctuation and no trailing possessive ('s / ’s). Empty when nothing is left."""
    text = _SPACE.sub(" ", unicodedata.normalize("NFC", term)).strip()
    text = text.strip(_EDGE + " ")
    text = _POSSESSIVE.sub("", text)
    text = text.strip(_EDGE + " ")
    return text.casefold()
