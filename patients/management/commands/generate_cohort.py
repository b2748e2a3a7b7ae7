import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from patients.models import Clinic
from patients.services.cohort import CohortAlreadyGenerated, generate_cohort
from patients.services.demo import CLINIC_NAME


class Command(BaseCommand):
    help = (
        "Add a plausible synthetic cohort of infants with their records (for demos and benchmarks)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--infants", type=int, required=True, help="How many infants to create."
        )
        parser.add_argument(
            "--clinic", default=CLINIC_NAME, help="Clinic name (created if missing)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same cohort.")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="Reference date (YYYY-MM-DD); records never go past it. Default: today.",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self, *args, infants: int, clinic: str, seed: int, today, no_progress: bool, **options
    ):
        if infants < 1:
            raise CommandError("--infants must be at least 1.")
        clinic_obj, _ = Clinic.objects.get_or_create(name=clinic)
        today = today or timezone.localdate()
        with tqdm(total=infants, unit="infant", disable=no_progress, file=self.stderr) as bar:
            try:
                rows = generate_cohort(
                    infants=infants, clinic=clinic_obj, seed=seed, today=today, progress=bar.update
                )
            except CohortAlreadyGenerated as error:
                raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Created {infants} infants ({rows} rows) in {clinic_obj}.")
        )
