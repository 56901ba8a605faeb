"""GUIDs as REFI-QDA writes them, and stable GUIDs for objects that never had one."""

from __future__ import annotations

import re
import uuid

#: The XSD's GUIDType: 8-4-4-4-12 hex digits, either case, optionally in braces.
GUID_RE = re.compile(
    r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$"
)
#: Namespace for derived GUIDs; never change it, or every export's GUIDs change.
THEMATICA_NS = uuid.UUID("6b0d2f8e-5c1a-5f0e-9d57-1f3c2a7e4b90")


def is_guid(value: str | None) -> bool:
    return bool(value) and GUID_RE.match(value or "") is not None


def norm(value: str | None) -> str:
    """The comparison key of a GUID: braces off, lower case."""
    return (value or "").strip().strip("{}").lower()


def bare(value: str) -> str:
    """A GUID as we store and write it: braces off, case kept."""
    return value.strip().strip("{}")


def derive(project: str, entity_type: str, entity_id: int | str) -> str:
    """A GUID that is the same every time the same project object is exported."""
    return str(uuid.uuid5(THEMATICA_NS, f"{project}\x1f{entity_type}\x1f{entity_id}"))
