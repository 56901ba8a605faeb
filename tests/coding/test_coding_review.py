"""Found in review: a consensus layer changes only through decisions, and a table of zeros
writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from coding_helpers import write

from thematica.core.errors import InputError


def test_a_consensus_layer_is_not_coded_directly(small: Any) -> None:
    small.coding.apply("a", "Wellbeing", 0, 5, coder="final")  # a human layer named final
    small.coding.set_coder_kind("final", "consensus")
    before = small.coding.count()
    with pytest.raises(InputError, match="'final' is a consensus layer"):
        small.coding.apply("a", "Wellbeing", 5, 9, coder="final")
    with pytest.raises(InputError, match="'final' is a consensus layer"):
        small.coding.remove("a", "Wellbeing", 0, 5, coder="final")
    assert small.coding.count() == before


def test_a_table_of_zeros_writes_nothing(small: Any, tmp_path: Path) -> None:
    table = write(tmp_path, "zeros.csv", "document,Wellbeing\na,0\nb,\n")
    with pytest.raises(InputError, match=r"zeros\.csv: the table codes nothing"):
        small.coding.apply_table(table, coder="newbie", unit="document")
    assert small.coding.coders() == [] and len(small.batches.list()) == 0
