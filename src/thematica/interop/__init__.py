"""REFI-QDA interchange: ``.qdpx`` projects and ``.qdc`` codebooks (QDA-XML 1.0).

The modules here never touch the database: :mod:`refi_import` turns a file into plain
dataclasses (:class:`~thematica.interop.refi_import.RefiProject`), :mod:`refi_export` writes
them back, and :mod:`thematica.services.interop` moves them in and out of a project.
:mod:`safezip` and :mod:`safexml` are the only ways hostile archives and XML are opened.
"""
