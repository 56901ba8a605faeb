"""Security fixes in the service layer: sign-in throttling under concurrent guesses, user
names, memos on another coder's coding, and races on PostgreSQL (a code removed or merged
while someone codes with it; two owners accepting one proposal).

The races run real threads against the PostgreSQL server: there transactions do not queue the
way SQLite's writers do, so without row locks the outcome depends on timing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from thematica.core.errors import (
    AuthenticationFailed,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDenied,
    Throttled,
)
from thematica.services.accounts import MAX_FAILURES_PER_NAME, Accounts, open_project_for
from thematica.services.members import check_user_name
from thematica.store import schema as t

on_postgresql = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _as(demo: Any, user: str) -> Any:
    return open_project_for(demo.db, demo.name, user)


def _team(demo: Any) -> None:
    demo.members.add("olivia", "owner")
    demo.members.add("alex", "coder")
    demo.members.add("sam", "coder")
    demo.members.add("vera", "viewer")


def _count(demo: Any, table: Any, *where: Any) -> int:
    with demo.db.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def _together(*calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run the calls in threads released at the same moment; ("ok", result) or ("error", exc)
    for each, in the order given."""
    gate = threading.Barrier(len(calls))
    out: list[tuple[str, Any]] = [("none", None)] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        gate.wait()
        try:
            out[i] = ("ok", call())
        except Exception as exc:
            out[i] = ("error", exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return out


# -- 5. sign-in throttling -----------------------------------------------------------------
def test_concurrent_wrong_guesses_are_throttled_after_five(
    demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import thematica.services.members as members

    demo.members.add("alex", "coder")
    accounts = Accounts(demo.db)
    accounts.set_password("alex", "alex-real-password")
    real = members.verify_password
    checked: list[str] = []
    lock = threading.Lock()

    def slow_verify(stored: str | None, password: str) -> bool:
        with lock:
            checked.append(password)
        time.sleep(0.05)  # a real argon2 check takes this long: the window for a race
        return real(stored, password)

    monkeypatch.setattr(members, "verify_password", slow_verify)
    results = _together(
        *(
            (lambda i=i: accounts.authenticate("alex", f"wrong-{i}", address=f"10.0.0.{i}"))
            for i in range(20)
        )
    )
    kinds = [type(r[1]).__name__ for r in results]
    assert len(checked) == MAX_FAILURES_PER_NAME == 5
    assert kinds.count("AuthenticationFailed") == 5
    assert kinds.count("Throttled") == 15
    assert _count(demo, t.login_failure, t.login_failure.c.user_name == "alex") == 5
    # the right password is throttled too now, and checks nothing
    with pytest.raises(Throttled):
        accounts.authenticate("alex", "alex-real-password")
    assert len(checked) == 5


def test_a_good_sign_in_clears_the_failures_it_recorded_first(demo: Any) -> None:
    demo.members.add("alex", "coder")
    accounts = Accounts(demo.db)
    accounts.set_password("alex", "alex-real-password")
    for i in range(3):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("alex", f"wrong-{i}", address="10.1.1.1")
    assert _count(demo, t.login_failure, t.login_failure.c.user_name == "alex") == 3
    assert accounts.authenticate("alex", "alex-real-password", address="10.1.1.1") == "alex"
    assert _count(demo, t.login_failure, t.login_failure.c.user_name == "alex") == 0
    # an unknown name is recorded like any failure (and takes as long)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("no-such-person", "whatever-1")
    assert _count(demo, t.login_failure, t.login_failure.c.user_name == "no-such-person") == 1
    # a name no database stores as typed (NUL, lone surrogate) is a plain failure
    for odd in ("a\x00b", "\ud800x"):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(odd, "whatever-1")


# -- 6. names that differ only in case -----------------------------------------------------
def test_an_account_differing_only_in_case_is_refused(demo: Any) -> None:
    _team(demo)
    accounts = Accounts(demo.db)
    users_before = _count(demo, t.user_account)
    members_before = demo.members.list().rows
    with pytest.raises(ConflictError, match="already a user named 'alex'"):
        demo.members.add("Alex", "coder")
    with pytest.raises(ConflictError, match="already a user named 'alex'"):
        accounts.add_user("ALEX", "a-password-1")
    with pytest.raises(ConflictError, match="already a user named 'alex'"):
        accounts.add_user("aLeX")
    accounts.add_user("Émile")
    with pytest.raises(ConflictError, match="already a user named 'Émile'"):
        demo.members.add("émile", "viewer")  # beyond ASCII too (SQLite's lower() is not)
    with pytest.raises(ConflictError):
        accounts.add_user("STRASSE")
        accounts.add_user("straße")  # casefolds to "strasse"
    assert _count(demo, t.user_account) == users_before + 2  # Émile, STRASSE
    assert demo.members.list().rows == members_before
    # the same name exactly is the same person, as before
    demo.members.add("Émile", "viewer")
    accounts.add_user("Émile", "emiles-password")
    assert accounts.user("Émile").has_password


# -- 7. characters in a name ---------------------------------------------------------------
def test_user_names_refuse_slashes_and_control_characters() -> None:
    for bad in ["x/../alex", "a\\b", "a,b", "a\x00b", "a\tb", "new\nline", "esc\x1b", "del\x7f"]:
        with pytest.raises(InputError, match="not a usable user name"):
            check_user_name(bad)
    for bad in ["", "   ", "x" * 201]:
        with pytest.raises(InputError):
            check_user_name(bad)
    assert check_user_name("  Mary Ann  ") == "Mary Ann"
    assert check_user_name("o'brien-2") == "o'brien-2"
    assert check_user_name("Émile") == "Émile"
    assert check_user_name("x" * 200) == "x" * 200


# -- 8. memos on a coding follow its layer -------------------------------------------------
def test_a_coder_may_not_write_a_memo_on_another_coders_coding(demo: Any) -> None:
    _team(demo)
    alex, sam = _as(demo, "alex"), _as(demo, "sam")
    alex_coding = alex.coding.list(coder="alex").rows[0].id
    sam_coding = sam.coding.list(coder="sam").rows[0].id
    before = _count(demo, t.memo)
    with pytest.raises(PermissionDenied):
        sam.memos.add("coding", str(alex_coding), "sam's view of alex's coding")
    assert _count(demo, t.memo) == before
    # not even once coding is no longer blind: a coder writes only their own layer
    demo.configure(blind=False)
    sam = _as(demo, "sam")
    with pytest.raises(PermissionDenied):
        sam.memos.add("coding", str(alex_coding), "sam's view of alex's coding")
    assert _count(demo, t.memo) == before
    # their own coding, and the owner on anyone's, are fine; the log names the layer
    sam.memos.add("coding", str(sam_coding), "my own note")
    _as(demo, "olivia").memos.add("coding", str(alex_coding), "owner's note")
    assert _count(demo, t.memo) == before + 2
    layers = [r.detail.get("coder") for r in demo.audit_log(action="memo", limit=2)]
    assert layers == ["alex", "sam"]  # newest first
    with pytest.raises(NotFoundError):
        sam.memos.add("coding", "999999", "no such coding")


# -- 4. a code removed or merged while someone codes with it (PostgreSQL) ------------------
@on_postgresql
def test_removing_a_code_never_loses_a_coding_made_at_the_same_moment(demo: Any) -> None:
    _team(demo)
    owner, alex = _as(demo, "olivia"), _as(demo, "alex")
    outcomes = []
    for i in range(20):
        name = f"Race code {i}"
        owner.codebook.add(name)
        coded, removed = _together(
            lambda name=name: alex.coding.apply("P01-interview", name, 10, 20, coder="alex"),
            lambda name=name: owner.codebook.remove(name),
        )
        if coded[0] == "ok":
            with demo.db.read() as conn:
                kept = conn.scalar(select(t.coding.c.id).where(t.coding.c.id == coded[1]))
            assert kept == coded[1], f"coding {coded[1]} was lost (remove: {removed})"
            # the coding was there when remove counted, so remove (no force) refused
            assert removed[0] == "error" and isinstance(removed[1], ConflictError), removed
        else:
            assert isinstance(coded[1], (ConflictError, NotFoundError)), coded
            assert removed == ("ok", 0)
        outcomes.append((coded[0], removed[0]))
    assert all(o in {("ok", "error"), ("error", "ok")} for o in outcomes)


@on_postgresql
def test_merging_a_code_never_loses_a_coding_made_at_the_same_moment(demo: Any) -> None:
    _team(demo)
    owner, alex = _as(demo, "olivia"), _as(demo, "alex")
    owner.codebook.add("Race target")
    for i in range(15):
        name = f"Race source {i}"
        owner.codebook.add(name)
        coded, merged = _together(
            lambda i=i, name=name: alex.coding.apply(
                "P02-interview", name, 100 + i, 200 + i, coder="alex"
            ),
            lambda name=name: owner.codebook.merge(name, "Race target"),
        )
        assert merged[0] == "ok", merged
        if coded[0] == "ok":
            with demo.db.read() as conn:
                code = conn.scalar(select(t.coding.c.code_id).where(t.coding.c.id == coded[1]))
            assert code is not None, f"coding {coded[1]} was lost in the merge"
            assert code == owner.codebook.index().resolve("Race target")
            assert merged[1].moved == 1
        else:
            assert isinstance(coded[1], (ConflictError, NotFoundError)), coded
            assert merged[1].moved == 0


# -- 9. two owners accepting one proposal (PostgreSQL) -------------------------------------
@on_postgresql
def test_a_proposal_is_accepted_once_when_two_owners_accept_together(demo: Any) -> None:
    _team(demo)
    demo.configure(coders_add_codes=False)
    alex, olivia = _as(demo, "alex"), _as(demo, "olivia")
    first_owner = demo  # the demo's own owner, a second owner beside olivia
    for i in range(5):
        proposed = alex.proposals.new_code("P03-interview", 10 + i, 30 + i, f"Proposed {i}")
        assert proposed.outcome == "proposed"
        pid = proposed.proposal
        one, two = _together(
            lambda pid=pid: first_owner.proposals.accept(pid),
            lambda pid=pid: olivia.proposals.accept(pid),
        )
        results = sorted([one[0], two[0]])
        assert results == ["error", "ok"], (one, two)
        error = one[1] if one[0] == "error" else two[1]
        assert isinstance(error, ConflictError)
        assert "already accepted" in str(error)
        accepted = [
            r
            for r in demo.audit_log(action="proposal_accept", limit=None)
            if r.detail["proposal"] == pid
        ]
        assert len(accepted) == 1
        codings = _count(
            demo,
            t.coding,
            t.coding.c.code_id == demo.codebook.index().resolve(f"Proposed {i}"),
        )
        assert codings == 1
