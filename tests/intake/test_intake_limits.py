"""Wide or huge input is refused at once or read in linear time; encodings are named."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from intake_helpers import one_error, run_cli, write

import thematica
from thematica import ImportOptions, InputError
from thematica.importers import parse_file

WIDE_COLUMNS = 100_000


def _wide_csv(path: Path, columns: int) -> Path:
    header = ",".join(f"c{i}" for i in range(columns))
    row = ",".join("1" for _ in range(columns))
    return write(path, f"id,text,{header}\np1,hello,{row}\n")


def test_a_100000_column_csv_is_refused_at_once(project: object, tmp_path: Path) -> None:
    wide = _wide_csv(tmp_path / "wide.csv", WIDE_COLUMNS)
    assert 800_000 < wide.stat().st_size < 1_000_000  # the 0.9 MB file of the report
    message = "wide.csv: the table has 100,002 columns, over the limit of 1,000"
    started = time.perf_counter()
    with pytest.raises(InputError, match=message):
        project.documents.import_files([wide])  # type: ignore[attr-defined]
    with pytest.raises(InputError, match=message):
        project.cases.import_table(wide, id_column="id")  # type: ignore[attr-defined]
    with pytest.raises(InputError, match=message):
        options = ImportOptions(csv_text_columns=("text",), csv_id_column="id")
        project.documents.import_files([wide], options=options)  # type: ignore[attr-defined]
    assert time.perf_counter() - started < 2 * 3  # three refusals, each well under 2 s
    assert len(project.cases.list()) == 0  # type: ignore[attr-defined]


def test_the_column_limit_can_be_raised(project: object, tmp_path: Path) -> None:
    table = _wide_csv(tmp_path / "w.csv", 1_200)
    with pytest.raises(InputError, match="1,202 columns, over the limit of 1,000"):
        project.cases.import_table(table, id_column="id")  # type: ignore[attr-defined]
    report = project.cases.import_table(table, id_column="id", max_columns=2_000)  # type: ignore[attr-defined]
    assert len(report.attributes) == 1_201  # every column but the id
    docs = parse_file(table, ImportOptions(csv_text_column="text", max_columns=2_000))
    assert len(docs[0].attributes) == 1_201


def _transcript(path: Path, megabytes: float) -> tuple[Path, int]:
    rng = random.Random(7)
    words = ("we", "were", "short", "of", "staff", "and", "the", "pay", "was", "too", "low")
    lines, size, n = [], 0, 0
    while size < megabytes * 1_000_000:
        speaker = "Interviewer" if n % 2 == 0 else "Participant 3"
        line = f"{speaker}: {' '.join(rng.choice(words) for _ in range(30))}\n"
        lines.append(line)
        size += len(line)
        n += 1
    path.write_text("".join(lines), encoding="utf-8")
    return path, n


def _import_seconds(db: Path, source: Path) -> float:
    with thematica.init_project(str(db), "big") as p:
        started = time.perf_counter()
        report = p.documents.import_files(
            [source], options=ImportOptions(max_bytes=100 * 1024 * 1024)
        )
        elapsed = time.perf_counter() - started
        assert report.imported == [source.stem]
    return elapsed


def test_a_large_transcript_imports_in_linear_time(tmp_path: Path) -> None:
    small, small_turns = _transcript(tmp_path / "small.txt", 5)
    large, large_turns = _transcript(tmp_path / "large.txt", 20)
    t_small = _import_seconds(tmp_path / "a.db", small)
    t_large = _import_seconds(tmp_path / "b.db", large)
    # four times the text: linear work takes about four times as long (8x allows for noise
    # on a shared machine; quadratic work would take 16x); 300 MB in a minute is 20 MB in 4 s
    assert t_large < 8 * t_small + 1, (t_small, t_large)
    assert t_large < 20, t_large
    with thematica.open_project(str(tmp_path / "b.db")) as p:
        doc = p.documents.get("large")
        assert len(doc.turns) == large_turns and small_turns * 3 < large_turns
        assert doc.turns[1].speaker == "Participant 3"


@pytest.mark.parametrize(("codec", "other"), [("utf-16-le", "le"), ("utf-16-be", "be")])
def test_utf16_without_a_bom_names_the_encoding_to_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], codec: str, other: str
) -> None:
    db = str(tmp_path / "x.db")
    thematica.init_project(db, "study").close()
    text = "Interviewer: Comment ça va ?\nParticipant 1: Très bien — merci.\n"
    f = write(tmp_path / f"P1-{other}.txt", text, codec)
    line = one_error(run_cli(capsys, "import", f, "--db", db), f"P1-{other}.txt")
    assert line == (
        f"error: P1-{other}.txt: looks like {codec.upper()} text without a byte-order mark; "
        f"give its encoding: {codec} (--encoding)"
    )
    with thematica.open_project(db) as p:
        assert len(p.documents.list()) == 0
    assert run_cli(capsys, "import", f, "--encoding", codec, "--db", db).code == 0
    with thematica.open_project(db) as p:
        doc = p.documents.get(f"P1-{other}")
        assert doc.text == text and [t.speaker for t in doc.turns] == [
            "Interviewer",
            "Participant 1",
        ]


def test_binary_with_zero_bytes_is_still_binary(tmp_path: Path) -> None:
    f = tmp_path / "blob.txt"
    f.write_bytes(bytes(random.Random(1).randrange(256) for _ in range(5000)) + b"\x00\x00")
    with pytest.raises(InputError, match=r"blob\.txt: looks like a binary file"):
        parse_file(f)


def test_column_limit_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "x.db")
    thematica.init_project(db, "study").close()
    table = _wide_csv(tmp_path / "w.csv", 1_500)
    one_error(
        run_cli(capsys, "cases", "import", table, "--id-column", "id", "--db", db),
        "w.csv: the table has 1,502 columns, over the limit of 1,000; raise the limit if they "
        "are all wanted (--max-columns)",
    )
    done = run_cli(
        capsys, "cases", "import", table, "--id-column", "id", "--max-columns", "1600", "--db", db
    )
    assert done.code == 0, done.err
    one_error(run_cli(capsys, "import", table, "--db", db), "1,502 columns")


def _postgresql_only(project: object) -> None:
    if project.db.dialect != "postgresql":  # type: ignore[attr-defined]
        pytest.skip("a PostgreSQL limit")


def test_postgresql_refuses_a_document_too_large_for_its_index_at_once(
    project: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgresql_only(project)
    from thematica.services import documents

    # the real ceiling is 250 MB; a 1 KB one shows the refusal comes before any reading
    monkeypatch.setattr(documents, "POSTGRESQL_MAX_DOCUMENT_BYTES", 1024)
    f = write(tmp_path / "long.txt", "Interviewer: " + "x" * 2000 + "\n")
    with pytest.raises(InputError, match=r"^long\.txt: 0 MB is more than a PostgreSQL project"):
        project.documents.import_files([f])  # type: ignore[attr-defined]
    assert len(project.documents.list()) == 0  # type: ignore[attr-defined]


def test_a_database_refusal_is_a_one_line_error(project: object, tmp_path: Path) -> None:
    """PostgreSQL's search index holds at most 1 MB of distinct words per document."""
    _postgresql_only(project)
    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(12)) for _ in range(120_000)}
    f = write(tmp_path / "lexicon.txt", " ".join(sorted(words)) + "\n")
    ok = write(tmp_path / "fine.txt", "Interviewer: hello\n")
    with pytest.raises(InputError) as info:
        project.documents.import_files([ok, f])  # type: ignore[attr-defined]
    message = str(info.value)
    assert message.startswith(f"{f}: the database could not store this document (")
    assert "split it into smaller files" in message and "\n" not in message
    assert len(project.documents.list()) == 0  # type: ignore[attr-defined]
