"""(being written)"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thematica.services.project import Project


class Clusters:
    def __init__(self, project: Project) -> None:
        self.project = project
