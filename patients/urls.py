"""URLs of the patients app."""

from django.urls import path

from patients.views.calendar import calendar_feed

app_name = "patients"

urlpatterns = [
    path("calendar/<str:token>.ics", calendar_feed, name="calendar-feed"),
]
