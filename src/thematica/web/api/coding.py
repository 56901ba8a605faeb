"""API: coding (to be filled)."""

from fastapi import APIRouter

router = APIRouter(tags=["coding"])
