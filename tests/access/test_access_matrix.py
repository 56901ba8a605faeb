"""Every public service operation × every role: the permission check is declared everywhere and
decides before anything is read or written.

Three hand-written tables drive the test, none taken from the code under test:

* ``EXPECTED`` — the operation kind each public method performs (a new public method missing
  here, or lacking ``@requires``, fails ``test_every_public_method_declares_an_operation``);
* ``EXEMPT`` — public methods that are not operations, with the reason;
* ``MAY`` — what each role may do (an owner runs the study, a coder codes and writes memos, a
  viewer reads; someone who is not a member may do nothing).

The walk then opens one small project as each person and calls every operation with dummy
arguments: a refused one must raise :class:`PermissionDenied` with the database untouched (no row
added anywhere, the audit log included); an allowed one must not raise it (dummy arguments may
well fail in other ways — that is fine and says the check let the call through).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import thematica
from thematica.core.access import Operation
from thematica.core.errors import PermissionDenied
from thematica.services.project import Project

Op = Operation
R, C, M, CB, IM, AN, CO, SE, MB, DE = (
    Op.READ,
    Op.CODE,
    Op.MEMO,
    Op.CODEBOOK,
    Op.IMPORT,
    Op.ANALYSE,
    Op.CONSENSUS,
    Op.SETTINGS,
    Op.MEMBERS,
    Op.DELETE,
)

#: service.method -> the operation it performs (Project's own methods as "project.method")
EXPECTED: dict[str, Operation] = {
    "project.audit_log": R,
    "project.configure": SE,
    "project.update_settings": SE,
    "members.list": R,
    "members.add": MB,
    "members.remove": MB,
    "members.set_role": MB,
    "members.invite": MB,
    "members.account_state": MB,
    "jobs.start": R,
    "jobs.get": R,
    "jobs.list": R,
    "jobs.result": R,
    "matrix_links.candidates": R,
    "documents.get": R,
    "documents.list": R,
    "documents.import_files": IM,
    "documents.link_case": IM,
    "documents.link_table": IM,
    "documents.remove": DE,
    "cases.attribute_info": R,
    "cases.dataframe": R,
    "cases.describe": R,
    "cases.list": R,
    "cases.values": R,
    "cases.define_attribute": IM,
    "cases.import_table": IM,
    "cases.set": IM,
    "speakers.list": R,
    "speakers.labels": R,
    "speakers.import_table": IM,
    "speakers.map": IM,
    "speakers.unmap": IM,
    "codebook.compare": R,
    "codebook.render": R,
    "codebook.export_text": R,
    "codebook.code_history": R,
    "codebook.entries": R,
    "codebook.get": R,
    "codebook.get_by_id": R,
    "codebook.history": R,
    "codebook.index": R,
    "codebook.parse_yaml": R,
    "codebook.read_file": R,
    "codebook.tree": R,
    "codebook.versions": R,
    "codebook.add": CB,
    "codebook.apply_specs": CB,
    "codebook.apply_template": CB,
    "codebook.freeze": CB,
    "codebook.import_file": CB,
    "codebook.merge": CB,
    "codebook.move": CB,
    "codebook.remove": CB,
    "codebook.set_exclusive": CB,
    "codebook.split": CB,
    "codebook.update": CB,
    "coding.coder_rows": R,
    "coding.coders": R,
    "coding.count": R,
    "coding.list": R,
    "coding.apply": C,
    "coding.apply_many": C,
    "coding.apply_table": C,
    "coding.import_csv": C,
    "coding.remove": C,
    "coding.set_memo": M,
    "coding.star": AN,
    "coding.set_coder_kind": SE,
    "coding.readable_layers": R,
    "coding.in_document": R,
    "coding.get": R,
    "coding.code_choices": R,
    "coding.edit": C,
    "coding.delete": C,
    "coding.apply_unit": C,
    "batches.list": R,
    "batches.undo": DE,
    "autocode.run": C,
    "memos.list": R,
    "memos.add": M,
    "agreement.compare": R,
    "agreement.compute": R,  # saving the run (save=...) is checked as ANALYSE inside
    "agreement.runs": R,
    "consensus.disagreements": R,
    "consensus.comparison": R,
    "consensus.layers": R,
    "consensus.log": R,
    "consensus.status": R,
    "consensus.add": CO,
    "consensus.apply_file": CO,
    "consensus.apply_final": CO,
    "consensus.decide": CO,
    "consensus.overturn": CO,
    "consensus.start": CO,
    "retrieval.query": R,
    "retrieval.search": R,
    "refi.build": R,
    "refi.codebook_specs": R,
    "refi.codebook_qdc": R,
    "refi.package": R,
    "exports.attributes_frame": R,
    "exports.cases_frame": R,
    "exports.codebook_frame": R,
    "exports.codings_frame": R,
    "exports.codings_rows": R,
    "exports.frame": R,
    "exports.render": R,
    "exports.render_frame": R,
    "themes.count": R,
    "themes.docx": R,
    "themes.figure": R,
    "themes.get": R,
    "themes.index": R,
    "themes.levels": R,
    "themes.list": R,
    "themes.table": R,
    "themes.add": AN,
    "themes.from_codebook": AN,
    "themes.link": AN,
    "themes.move": AN,
    "themes.remove": AN,
    "themes.rename": AN,
    "themes.set_memo": AN,
    "themes.unlink": AN,
    "themes.update": AN,
    "prevalence.codes": R,
    "prevalence.scale": R,
    "prevalence.table": R,
    "prevalence.themes": R,
    "prevalence.set_scale": SE,
    "cooccurrence.heatmap": R,
    "cooccurrence.matrix": R,
    "cooccurrence.table": R,
    "saturation.assess": R,
    "saturation.frequency": R,
    "saturation.interviews": R,
    "matrices.render": R,
    "matrices.get": R,
    "matrices.list": R,
    "matrices.create": AN,
    "matrices.remove": AN,
    "matrices.set_cell": AN,
    "reports.render": R,
    "reports.config_template": R,
    "reports.data": R,
    "reports.state_hash": R,
    "proposals.list": R,
    "proposals.new_code": C,
    "proposals.accept": CB,
    "proposals.decline": CB,
    "progress.overview": R,
    "progress.audit_facets": R,
    "progress.set_status": C,
    "suggestions.list": R,
    "suggestions.for_document": R,
    "suggestions.accept": C,
    "suggestions.reject": C,
    "suggestions.evaluate": R,
    "suggestions.suggest": C,
    "suggestions.runs": R,
    "suggestions.backends": R,
    "suggestions.check": C,
    "clusters.propose": C,
    "clusters.runs": R,
    "clusters.list": R,
    "clusters.members": R,
    "clusters.accept": C,
    "drafts.draft_matrix": AN,
    "drafts.draft_theme": AN,
    "drafts.list": R,
    "drafts.get": R,
    "drafts.adopt": AN,
    "drafts.discard": AN,
    "transcription.transcribe": IM,
    "transcription.runs": R,
    "transcription.rename_speaker": IM,
    "transcription.rename_speakers": IM,
    "transcription.check": IM,
    "documents.reimport": IM,
    "documents.timed": R,
    "exports.captions": R,
    "deid.check": IM,
    "deid.detect": IM,
    "deid.list": IM,
    "deid.accept": IM,
    "deid.reject": IM,
    "deid.edit": IM,
    "deid.add": IM,
    "deid.commit": IM,
    "deid.run": IM,
    "deid.names": IM,
    "deid.add_name": IM,
    "deid.remove_name": IM,
    "deid.placeholders": IM,
    "deid.set_placeholder": SE,
    "deid.key": SE,
    "deid.encrypt_key": SE,
}

_IN_TRANSACTION = "takes the caller's connection: runs inside an operation already checked"
_NO_DATA = "static: reads no project data"

#: public methods that are not operations of their own, and why
EXEMPT: dict[str, str] = {
    "project.close": "releases the connection pool; reads and writes nothing",
    "project.audit": _IN_TRANSACTION,
    "documents.case_names": _IN_TRANSACTION,
    "documents.id_of": _IN_TRANSACTION,
    "speakers.attributor": _IN_TRANSACTION,
    "coding.coder_ids": _IN_TRANSACTION + " (and checks blind coding per layer)",
    "coding.ensure_coder": _IN_TRANSACTION + " (and checks the layer is the actor's)",
    "batches.open": _IN_TRANSACTION,
    "batches.finish": _IN_TRANSACTION,
    "consensus.undo_batch": _IN_TRANSACTION,
    "codebook.templates": _NO_DATA,
    "saturation.table": _NO_DATA,
    "reports.load_config": _NO_DATA,
    "reports.settings": _NO_DATA,
}

#: role -> the operations it may perform, written out by hand (None: not a member)
MAY: dict[str | None, set[Operation]] = {
    "owner": set(Operation),
    "coder": {Op.READ, Op.CODE, Op.MEMO},
    "viewer": {Op.READ},
    None: set(),
}
#: who acts in each role in the walked project
PEOPLE = {"owner": "pi", "coder": "sam", "viewer": "kim", None: "eve"}


def public_operations(project: Project) -> dict[str, Any]:
    """Every public callable of the facade and of each service object on it, as
    ``"service.method"`` (Project's own as ``"project.method"``) -> the class attribute."""
    found: dict[str, Any] = {}
    for name, raw in vars(Project).items():
        if not name.startswith("_") and callable(raw):
            found[f"project.{name}"] = raw
    for attr in Project.SERVICES:  # services are built on first use: build them all
        getattr(project, attr)
    for attr, service in vars(project).items():
        if attr.startswith("_") or getattr(service, "project", None) is not project:
            continue
        if attr == "access":  # the checker itself
            continue
        for name, _ in inspect.getmembers(type(service)):
            if name.startswith("_"):
                continue
            raw = inspect.getattr_static(type(service), name)
            if isinstance(raw, property) or not callable(getattr(service, name)):
                continue
            found[f"{attr}.{name}"] = raw
    return found


def test_every_public_method_declares_an_operation(tmp_path: Path) -> None:
    with thematica.init_project(tmp_path / "x.db", "x", actor="pi") as p:
        ops = public_operations(p)
    assert not set(EXPECTED) & set(EXEMPT)
    unlisted = sorted(set(ops) - set(EXPECTED) - set(EXEMPT))
    assert not unlisted, f"public methods with no expected permission in this test: {unlisted}"
    stale = sorted((set(EXPECTED) | set(EXEMPT)) - set(ops))
    assert not stale, f"listed here but no longer public methods: {stale}"
    wrong = {
        key: getattr(ops[key], "__thematica_operation__", None)
        for key, op in EXPECTED.items()
        if getattr(ops[key], "__thematica_operation__", None) != op
    }
    assert not wrong, f"declared operation differs from the expected one: {wrong}"
    for key in EXEMPT:
        assert not hasattr(ops[key], "__thematica_operation__"), key


# -- the walk ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk_url(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One small project per backend for the whole walk: pi owns it, sam codes, kim views; it
    has a document and a code but no codings (so reads fail on arguments, not on layers)."""
    folder = tmp_path_factory.mktemp("walkfiles")
    (folder / "P1.txt").write_text("Interviewer: Hi.\nParticipant 1: Staffing is short.\n")
    with thematica.init_project(module_db_url, "walk", actor="pi") as p:
        p.documents.import_files([folder / "P1.txt"])
        p.codebook.add("Staffing")
        p.members.add("sam", "coder")
        p.members.add("kim", "viewer")
    return module_db_url


def _dummy(param: inspect.Parameter, user: str, folder: Path) -> Any:
    """A plausible but useless value: names that exist nowhere, files that do not exist; a
    coder layer is always the acting person's own (so layer rules do not refuse it)."""
    name, ann = param.name, str(param.annotation)
    if name in {"coder", "coders", "author", "decided_by"}:
        return user
    if "Path" in ann or name in {"path", "source"}:
        return folder / "missing.csv"
    if ann.startswith("int") or name in {"start", "end", "coding_id", "batch_id"}:
        return 1
    if ann.startswith("bool"):
        return True
    if ann.startswith(("Sequence", "Iterable", "builtins.list", "list")):
        return []
    if ann.startswith("Mapping"):
        return {}
    return "zz-none"


def _call(bound: Any, user: str, folder: Path) -> None:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(bound).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is not param.empty and param.name not in {"coder", "coders"}:
            continue
        value = _dummy(param, user, folder)
        if param.kind is param.KEYWORD_ONLY:
            kwargs[param.name] = value
        else:
            args.append(value)
    result = bound(*args, **kwargs)
    if isinstance(result, tuple) and len(result) == 2 and inspect.isgenerator(result[1]):
        list(result[1])  # a streamed export reads when iterated


def test_every_operation_for_every_role(
    walk_url: str, tmp_path: Path, rows_of: Callable[[Any], tuple[int, ...]]
) -> None:
    problems: list[str] = []
    counts = {"refused": 0, "allowed": 0}
    for role in ["owner", "coder", "viewer", None][::-1]:  # the owner's dummy writes come last
        user = PEOPLE[role]
        who = f"{user} ({role or 'not a member'})"
        with thematica.open_project(walk_url, actor=user) as p:
            assert p.actor.role == role
            for key in sorted(public_operations(p)):
                if key in EXEMPT:
                    continue
                service, method = key.split(".")
                owner = p if service == "project" else getattr(p, service)
                bound = getattr(owner, method)
                may = EXPECTED[key] in MAY[role]
                before = None if may else rows_of(p)
                try:
                    _call(bound, user, tmp_path)
                except PermissionDenied as exc:
                    if may:
                        problems.append(f"{who} was refused {key}: {exc}")
                    elif exc.detail.get("operation") != EXPECTED[key].value:
                        problems.append(f"{key} refused {who} for {exc.detail}, not its kind")
                    elif rows_of(p) != before:
                        problems.append(f"{key} wrote to the database before refusing {who}")
                    else:
                        counts["refused"] += 1
                except Exception:  # dummy arguments: any other failure is the call going ahead
                    if not may:
                        problems.append(f"{who} was not refused {key}")
                    else:
                        counts["allowed"] += 1
                else:
                    if not may:
                        problems.append(f"{who} was not refused {key}")
                    else:
                        counts["allowed"] += 1
    assert not problems, "\n".join(problems)
    # by hand: 4 people x every operation; only the owner's and the READ ones go through
    n = len(EXPECTED)
    reads = sum(op is Op.READ for op in EXPECTED.values())
    coder_ops = sum(op in {Op.READ, Op.CODE, Op.MEMO} for op in EXPECTED.values())
    assert counts == {"allowed": n + coder_ops + reads, "refused": 3 * n - coder_ops - reads}


def test_refusal_names_person_role_and_what(walk_url: str) -> None:
    with thematica.open_project(walk_url, actor="kim") as kim, pytest.raises(PermissionDenied) as e:
        kim.codebook.add("Morale")
    assert str(e.value) == "kim (viewer) may not change the codebook in project 'walk'"
    assert e.value.detail == {
        "actor": "kim",
        "role": "viewer",
        "project": "walk",
        "operation": "codebook",
        "method": "add",
    }
    with thematica.open_project(walk_url, actor="eve") as eve, pytest.raises(PermissionDenied) as e:
        eve.documents.list()
    assert str(e.value) == "eve (not a member) may not read in project 'walk'"
    assert os.environ.get("THEMATICA_USER") != "eve"  # the actor came from open_project
