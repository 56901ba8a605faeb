"""AI suggestions: a model proposes codes for units of text, stored as an ``ai`` coder layer
(being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from thematica.services.suggestion_review import SuggestionReview

if TYPE_CHECKING:
    from thematica.services.project import Project


class Suggestions(SuggestionReview):
    def __init__(self, project: Project) -> None:
        self.project = project
