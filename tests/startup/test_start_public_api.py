"""``thematica.__all__`` is exactly the public API, and every name in it resolves (the names are
loaded lazily, so a typo in the lazy table would otherwise only show at first use)."""

from __future__ import annotations

import inspect

import thematica

#: the public API, written out by hand: adding or removing a name is a decision, not a side effect
PUBLIC = {
    "CodingInput",
    "ConflictError",
    "ImportOptions",
    "InputError",
    "NotFoundError",
    "Project",
    "QuerySyntaxError",
    "Table",
    "ThematicaError",
    "__version__",
    "build_demo",
    "init_project",
    "list_projects",
    "open_project",
}


def test_all_lists_exactly_the_public_names() -> None:
    assert set(thematica.__all__) == PUBLIC
    assert len(thematica.__all__) == len(PUBLIC)  # no duplicates
    assert thematica.__all__ == sorted(thematica.__all__)


def test_every_public_name_resolves_to_its_defining_object() -> None:
    from thematica.core import errors, tables
    from thematica.services import coding, demo, project

    expected = {
        "CodingInput": coding.CodingInput,
        "ConflictError": errors.ConflictError,
        "InputError": errors.InputError,
        "NotFoundError": errors.NotFoundError,
        "QuerySyntaxError": errors.QuerySyntaxError,
        "ThematicaError": errors.ThematicaError,
        "Table": tables.Table,
        "Project": project.Project,
        "build_demo": demo.build_demo,
        "init_project": project.init_project,
        "list_projects": project.list_projects,
        "open_project": project.open_project,
    }
    for name in thematica.__all__:
        value = getattr(thematica, name)
        if name in expected:
            assert value is expected[name], name
        if name != "__version__":
            assert inspect.isclass(value) or inspect.isfunction(value), name
            # public objects live in thematica's own modules
            assert value.__module__.startswith("thematica."), (name, value.__module__)


def test_star_import_gives_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from thematica import *", namespace)
    assert {n for n in namespace if n != "__builtins__"} == PUBLIC


def test_dir_lists_the_public_names_and_unknown_names_fail() -> None:
    assert set(dir(thematica)) >= PUBLIC
    assert {n for n in dir(thematica) if not n.startswith("__")} == PUBLIC - {"__version__"}
    try:
        thematica.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_version_matches_the_installed_distribution() -> None:
    from importlib.metadata import version

    assert thematica.__version__ == version("thematica") == "0.1.0"
