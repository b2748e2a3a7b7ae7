"""Printed documents: the staff's one-page visit summary and the guardian's take-home plan (PDF).

``model`` holds what a document says, as plain text already in its reader's language; ``pdf``
lays it out with fpdf2 (pure Python, no system packages) and embeds DejaVu Sans from matplotlib's
own data, a font with every Turkish letter. ``phrases`` is the guardian's wording in Turkish and
English. ``loader`` reads the record (already scoped by ``patients.services.charts``) into the
documents.
"""
