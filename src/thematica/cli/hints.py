"""The command line's wording for what a service error suggests.

Services word their errors for any face and put what the user could do in the ``hint`` detail
(a parameter or an action: ``hint="coder"``, ``hint="init"``); here each hint becomes the flag or
command a terminal user types. A web app maps the same hints to its own controls.
"""

from __future__ import annotations

from thematica.core.errors import ThematicaError

__all__ = ["HINTS", "cli_message"]

#: hint -> what the command line adds to the service's message
HINTS: dict[str, str] = {
    "ai_model": "; set it with 'thematica settings --ai-model NAME'",
    "ai_server": "; configure one with 'thematica settings --ai-url URL --ai-model NAME'",
    "bootstrap": " (--bootstrap)",
    "cases_import": "; import them with 'thematica cases import'",
    "case": " (--case)",
    "categories": " (--categories)",
    "coder": " with --coder NAME, several as A,B, or --coder all",
    "coder_name": " (--coder NAME)",
    "coders": " (e.g. --coders A,B)",
    "consensus_decide": " ('thematica consensus decide')",
    "consensus_list": " (see 'thematica consensus list')",
    "consensus_start": " ('thematica consensus start --coders A,B')",
    "db": " (--db)",
    "encoding": " (--encoding)",
    "force": " (--force)",
    "init": "; create one with 'thematica init{db}'",
    "keep_identifiers": " (--keep-identifiers)",
    "level": " (--level)",
    "limit": " (--limit)",
    "max_columns": " (--max-columns)",
    "max_hours": " (--max-hours)",
    "max_size": " (--max-size)",
    "name": " (--name)",
    "order": " (--order)",
    "passphrase": " (--passphrase-env)",
    "project": " (--project)",
    "replace": " (--replace)",
    "text_column": " (--text-column)",
    "themes_add": " with 'thematica themes add'",
    "upgrade": "; run 'thematica upgrade{db}'",
    "users_password": " ('thematica users password NAME --password-stdin')",
    "weights": " (--weights)",
}


def cli_message(exc: ThematicaError) -> str:
    """The error's one line as the command line prints it (after ``error: ``)."""
    hint = exc.detail.get("hint")
    suffix = HINTS.get(hint, "") if isinstance(hint, str) else ""
    database = exc.detail.get("database")
    suffix = suffix.replace("{db}", f" --db {database}" if database else "")
    if "NAME" in suffix and exc.detail.get("user"):
        import shlex

        suffix = suffix.replace("NAME", shlex.quote(str(exc.detail["user"])))
    return f"{exc}{suffix}"
