"""``project.proposals``: new codes a coder proposes while coding, for an owner to accept or
decline (when the project keeps the codebook the owners'). To be written."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = ["Proposals"]


class Proposals:
    def __init__(self, project: Project) -> None:
        self.project = project
