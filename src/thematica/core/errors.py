"""Errors a user can cause and fix.

Every layer raises these (never bare exceptions) for bad input, so that the CLI and the web app
can print one clear line and leave the database untouched. Anything else is a bug.
"""

from __future__ import annotations

from typing import Any


class ThematicaError(Exception):
    """Base class: a problem with the user's input or request, explained in one line.

    ``detail`` carries the same facts as data (what was asked, by whom, which value), so a
    face other than the command line (the web API) can answer without parsing the sentence.
    """

    exit_code = 2

    def __init__(self, message: str = "", **detail: Any) -> None:
        super().__init__(message)
        self.detail: dict[str, Any] = detail


class InputError(ThematicaError):
    """A file or value that cannot be read or accepted (encoding, format, size, content)."""


class NotFoundError(ThematicaError):
    """Something named by the user (project, document, code, coder, case) does not exist."""


class ConflictError(ThematicaError):
    """The request clashes with what is already stored (duplicate name, re-import, ...)."""


class QuerySyntaxError(ThematicaError):
    """A code query or attribute filter that cannot be parsed."""


class PermissionDenied(ThematicaError):
    """The acting person's role in the project does not allow this operation."""


class AuthenticationFailed(ThematicaError):
    """A sign-in, token or invitation that does not identify anyone."""


class Throttled(ThematicaError):
    """Too many attempts in a short time (failed sign-ins); ``retry_after`` seconds."""


class StaleEdit(ConflictError):
    """An edit made against an older revision of what is now stored (two people editing one
    code at once): refused, never a silent overwrite. ``current`` says what is there now."""


class PayloadTooLarge(InputError):
    """An upload or request body over the server's limit (``limit`` bytes)."""
