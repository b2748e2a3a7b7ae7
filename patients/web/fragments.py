"""What a page's kept fragments (Django's ``{% cache %}``) are keyed on besides their data.

A fragment is drawn by the templates, the translations and the code of one release. Kept for days
under its data's version alone, it would outlive a release that words or lays it out otherwise:
the infant page would show last release's sections until the infant's record next changed. Every
fragment key therefore carries ``release()``, a digest of what draws it, read once per process.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from django.conf import settings

#: Where what draws a fragment lives, under the project's root.
_DRAWN_BY = ("patients/**/*.py", "tracker/**/*.py", "templates/**/*.html", "locale/**/*.mo")


@functools.cache
def release() -> str:
    """A digest of the code, templates and compiled translations this process runs: a new release
    keeps its fragments under new keys, and the old ones expire unread."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for path in sorted({path for pattern in _DRAWN_BY for path in root.glob(pattern)}):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def rows_version(rows: object) -> str:
    """A digest of rows read for a fragment: the same rows draw the same fragment, so it is kept
    under them and drawn again only when a row changes."""
    return hashlib.sha256(repr(rows).encode()).hexdigest()
