"""Pages: documents (to be filled)."""

from fastapi import APIRouter

router = APIRouter()
