"""Reviewing AI suggestions: listing, accepting into a person's layer, rejecting, and measuring
an AI layer against a human or consensus layer (being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thematica.services.project import Project


class SuggestionReview:
    project: Project
