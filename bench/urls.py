"""The production URLs and one more: the bare DRF endpoint every web target is compared with."""

from django.urls import path

from bench.views import BareView
from tracker.urls import urlpatterns as production_urlpatterns

urlpatterns = [
    path("bench/bare/", BareView.as_view(), name="bench-bare"),
    *production_urlpatterns,
]
