"""API: jobs (to be filled)."""

from fastapi import APIRouter

router = APIRouter(tags=["jobs"])
