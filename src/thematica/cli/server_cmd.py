"""Commands for the web application: ``serve``, user accounts and API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from thematica.cli.app import actor_name, app
from thematica.cli.options import Db, Fmt, Output, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError

users_app = typer.Typer(
    help="User accounts for the web application (sign-in names and passwords).",
    no_args_is_help=True,
)
tokens_app = typer.Typer(
    help="API tokens: let a script use the web API as you (Authorization: Bearer TOKEN).",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input (never the command "
        "line, where other users and the shell history would see it).",
    ),
]


def _accounts(db: str | None):  # type: ignore[no-untyped-def]
    from thematica.services.accounts import Accounts
    from thematica.store import open_database

    return Accounts(open_database(db))


def _read_password() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise InputError("no password on standard input")
    return password


@app.command("serve")
def serve(
    db: Db = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes (a team server: 2 to 8).", min=1)
    ] = 1,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Mark cookies Secure: use behind a proxy that serves https.",
        ),
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Run the web application (read, code, compare and report in a browser)."""
    import os

    import uvicorn

    from thematica.store import open_database
    from thematica.store.engine import resolve_url

    url = resolve_url(db)
    open_database(url).dispose()  # a missing or outdated database fails here, in one line
    ui = UI(quiet, verbose)
    where = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    ui.info(f"Thematica is serving {url.split('://', 1)[-1]} at {where} (Ctrl+C stops it).")
    if host not in {"127.0.0.1", "localhost", "::1"}:
        ui.info("It listens beyond this machine: serve it behind https (--secure-cookies).")
    os.environ["THEMATICA_DB"] = url
    if secure_cookies:
        os.environ["THEMATICA_SECURE_COOKIES"] = "1"
    uvicorn.run(
        "thematica.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info" if verbose else "warning",
        proxy_headers=secure_cookies,
        server_header=False,
    )


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The sign-in name (also the coder layer name).")],
    password_stdin: PasswordStdin = False,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="How to show the person.")
    ] = None,
    db: Db = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Create an account (with --password-stdin, one that can sign in at once)."""
    password = _read_password() if password_stdin else None
    store = _accounts(db)
    try:
        row = store.add_user(name, password, display_name=display_name)
    finally:
        store.db.dispose()
    how = "can sign in" if row.has_password else "has no password yet (add them to a project "
    how += "" if row.has_password else "in the web app for an invitation link)"
    UI(quiet, verbose).info(f"User {row.name} {how}.")


@users_app.command("list")
def users_list(
    db: Db = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Every account in the database."""
    from thematica.core.tables import Table
    from thematica.services.accounts import UserRow

    store = _accounts(db)
    try:
        rows = store.users()
    finally:
        store.db.dispose()
    UI(quiet, verbose).table(Table.of(UserRow, rows, title="Users"), fmt, output=output)


@users_app.command("password")
def users_password(
    name: Annotated[str, typer.Argument(help="Whose password to set.")],
    password_stdin: PasswordStdin = False,
    db: Db = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Set a user's password (ends their browser sessions)."""
    if not password_stdin:
        raise InputError("give the new password on standard input with --password-stdin")
    password = _read_password()
    store = _accounts(db)
    try:
        store.set_password(name, password)
    finally:
        store.db.dispose()
    UI(quiet, verbose).info(f"Password of {name} set; their sessions have ended.")


@tokens_app.command("create")
def tokens_create(
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "",
    days: Annotated[
        int | None, typer.Option("--days", help="Expire after this many days (default: never).")
    ] = None,
    db: Db = None,
) -> None:
    """Create an API token for the acting user (--as NAME) and print it (shown once)."""
    store = _accounts(db)
    try:
        store.user(actor_name())
        secret = store.create_token(actor_name(), label, days=days)
    finally:
        store.db.dispose()
    typer.echo(secret)


@tokens_app.command("list")
def tokens_list(
    db: Db = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The acting user's API tokens (not the secrets)."""
    from thematica.core.tables import Table
    from thematica.services.accounts import TokenRow

    store = _accounts(db)
    try:
        rows = store.tokens(actor_name())
    finally:
        store.db.dispose()
    UI(quiet, verbose).table(
        Table.of(TokenRow, rows, title=f"API tokens of {actor_name()}"), fmt, output=output
    )


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (tokens list).")],
    db: Db = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Revoke one of the acting user's API tokens."""
    store = _accounts(db)
    try:
        store.revoke_token(actor_name(), token_id)
    finally:
        store.db.dispose()
    UI(quiet, verbose).info(f"Token {token_id} revoked.")
