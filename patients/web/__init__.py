"""Server-rendered pages: sign-in, the staff worklist and infant pages, and the parent portal.

Every page reads through the same scoped selectors as the REST API (patients.selectors), so a
record outside the reader's scope answers 404 here exactly as it does there.
"""
