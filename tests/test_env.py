"""The settings helpers fail loudly on a missing or malformed variable."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from tracker.env import env_bool, env_int, env_list, env_str


def test_required_string_missing_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        env_str("DJANGO_SECRET_KEY", environ={})


def test_string_default_used_only_when_unset_or_empty():
    assert env_str("X", default="d", environ={}) == "d"
    assert env_str("X", default="d", environ={"X": ""}) == "d"
    assert env_str("X", default="d", environ={"X": "v"}) == "v"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("On", True), ("0", False), ("no", False), ("", False)],
)
def test_bool_accepts_the_usual_spellings(raw, expected):
    assert env_bool("DEBUG", default=not expected, environ={"DEBUG": raw}) is expected


def test_bool_rejects_anything_else():
    with pytest.raises(ImproperlyConfigured, match="DEBUG='yes please'"):
        env_bool("DEBUG", default=False, environ={"DEBUG": "yes please"})


def test_int_rejects_words():
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("PORT", default=1, environ={"PORT": "eighty"})
    assert env_int("PORT", default=1, environ={"PORT": "80"}) == 80


def test_list_splits_and_trims():
    assert env_list("HOSTS", default=[], environ={"HOSTS": "a.org, b.org,,"}) == ["a.org", "b.org"]


def test_production_settings_refuse_to_start_without_secret_key(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SECRET_KEY", "DJANGO_DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "tracker.settings"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr
