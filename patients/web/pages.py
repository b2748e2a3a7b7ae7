"""Rendering a page with what the base layout needs: the reader's roles for the navigation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from patients.web.access import is_clinical, is_guardian, is_lead


def nav_context(request: HttpRequest) -> dict:
    signed_in = request.user.is_authenticated
    return {
        "nav_clinical": signed_in and is_clinical(request),
        "nav_guardian": signed_in and is_guardian(request),
        "nav_lead": signed_in and is_lead(request),
        "nav_admin": signed_in and request.user.is_staff,
    }


def page(
    request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200
) -> HttpResponse:
    response = render(request, template, {**nav_context(request), **(context or {})}, status=status)
    if request.user.is_authenticated:
        # Patient data and feed links: kept by no shared cache, nor by the browser's history.
        patch_cache_control(response, private=True, no_store=True)
    return response
