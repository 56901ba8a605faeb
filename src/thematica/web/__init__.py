"""The web application: a thin face over the service layer (FastAPI, server-rendered pages, a
JSON API under ``/api``). Import :func:`create_app` to build one; ``thematica serve`` runs it.
"""

from thematica.web.app import create_app

__all__ = ["create_app"]
