"""URLs of the patients app."""

from django.urls import path  # noqa: F401  (routes are added by the views that need them)

app_name = "patients"

urlpatterns: list = []
