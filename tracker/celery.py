"""The Celery application.

Beat runs in UTC and only ever ticks the reminder dispatcher; reminders themselves are rows in the
database, never ETA tasks parked in the broker (see docs/REMINDERS design notes in the README).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
