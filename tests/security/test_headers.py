"""Security headers and the content security policy on ordinary responses."""

from __future__ import annotations

import pytest

from tests.security.conftest import PASSWORD


def _directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/admin/"])
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_policy_allows_this_origin_only_and_no_inline_code(client):
    directives = _directives(client.get("/admin/login/"))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    policy = " ".join(v for values in directives.values() for v in values)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.django_db
def test_the_admin_pages_need_no_inline_script(client, staff):
    """Django's admin loads its scripts from files: no <script> element with a body is served."""
    client.force_login(staff)
    for path in ("/admin/", "/admin/patients/infant/", "/admin/patients/infant/add/"):
        page = client.get(path).content.decode()
        scripts = page.split("<script")[1:]
        assert scripts, f"no script at all on {path}: the check would prove nothing"
        for chunk in scripts:
            tag, _, rest = chunk.partition(">")
            body = rest.partition("</script>")[0]
            assert "src=" in tag and not body.strip(), f"inline script on {path}: {body[:60]!r}"


@pytest.mark.django_db
def test_hsts_is_sent_over_https(client):
    response = client.get("/admin/login/", secure=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_the_session_cookie_is_http_only_and_secure(client, staff):
    response = client.post(
        "/admin/login/", {"username": staff.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["secure"] is True  # the test settings run with DEBUG off, as production does
    assert cookie["samesite"] == "Lax"
    assert response.cookies["csrftoken"]["secure"] is True
