import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from patients.services.demo import load_demo


class Command(BaseCommand):
    help = "Create the demo clinic, one user per role and the two infants of seed 000 (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load the demo even with DJANGO_DEBUG off (it creates users with published passwords).",
        )

        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="Date the demo is loaded on (YYYY-MM-DD): doses before it are recorded as given.",
        )

    def handle(self, *args, allow_production: bool, today, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to load demo users with published passwords while DJANGO_DEBUG is off; "
                "pass --allow-production if this really is a demonstration server."
            )
        result = load_demo(today=today or timezone.localdate())
        if result.infants_created:
            self.stdout.write(
                self.style.SUCCESS(f"Loaded {result.infants_created} case-report infant(s).")
            )
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"Clinic: {result.clinic.name}")
        self.stdout.write("Demo users (username / password):")
        for user in result.users:
            self.stdout.write(f"  {user.username:<8} / {user.password:<17} {user.description}")
