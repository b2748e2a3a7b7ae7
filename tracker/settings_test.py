"""Settings for the test suite: the real settings with a throwaway key and fast password hashing.

The database comes from DATABASE_URL exactly as in production, so the same suite runs on SQLite and
on PostgreSQL (see .ci/run).
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-key-" + "x" * 40)
os.environ.setdefault("ALLOW_NO_REDIS", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from tracker.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_AUTOREFRESH = True
# The test client's login() authenticates without a request, which django-axes refuses; the
# sign-in throttling tests (tests/security) switch it back on around real sign-in requests.
AXES_ENABLED = False
