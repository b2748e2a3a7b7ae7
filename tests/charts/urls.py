"""The chart endpoints mounted as the project mounts its API: under /api/v1/ in the "api" namespace."""

from django.urls import include, path

from patients.api import chart_urls

urlpatterns = [path("api/v1/", include((chart_urls.urlpatterns, "api")))]
