"""``thematica deid``: find identifiers, review, commit placeholders (stub; see the service)."""
