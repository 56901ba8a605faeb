"""API: codebook (to be filled)."""

from fastapi import APIRouter

router = APIRouter(tags=["codebook"])
