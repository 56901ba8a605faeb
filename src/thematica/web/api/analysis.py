"""API: analysis (to be filled)."""

from fastapi import APIRouter

router = APIRouter(tags=["analysis"])
