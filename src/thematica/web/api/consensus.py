"""API: consensus (to be filled)."""

from fastapi import APIRouter

router = APIRouter(tags=["consensus"])
