import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import F, Q
from tqdm import tqdm

from patients.models import Clinic, Infant, Regimen, User
from patients.selectors import clinics_for
from patients.services.regimens import start_courses_from_regimen


class Command(BaseCommand):
    help = (
        "Start one regimen for many infants of a clinic together: a cohort brought into the "
        "tracker, or a regimen rolled out. The infants are named by the clinic's record numbers, "
        "one per line of a file. All or nothing: an unknown number, a voided record or a course "
        "before birth starts no course at all."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names the regimen's version here, not Django's.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("record_numbers", type=Path, help="One record number per line.")
        parser.add_argument("--clinic", required=True, help="The clinic's name.")
        parser.add_argument("--regimen", required=True, help="The regimen's key.")
        parser.add_argument(
            "--version", type=int, help="The regimen's version (default: the newest in use)."
        )
        parser.add_argument(
            "--started-on",
            type=datetime.date.fromisoformat,
            required=True,
            help="The day of the first dose (YYYY-MM-DD).",
        )
        parser.add_argument("--indication", default="")
        parser.add_argument(
            "--by",
            required=True,
            metavar="USERNAME",
            help="The clinic's member of staff recorded as having started the courses.",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, record_numbers: Path, **options):
        clinic = Clinic.objects.filter(name=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic is named {options['clinic']!r}.")
        actor = User.objects.filter(username=options["by"]).first()
        if actor is None or not clinics_for(actor).filter(pk=clinic.pk).exists():
            raise CommandError(f"{options['by']!r} is not a member of staff of {clinic}.")
        regimen = self._regimen(clinic, options["regimen"], options["version"])
        try:
            numbers = [
                line.strip()
                for line in record_numbers.read_text(encoding="utf-8").splitlines()
                if line.strip()
            ]
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {record_numbers}: {error}") from None
        if len(set(numbers)) != len(numbers):
            twice = sorted({n for n in numbers if numbers.count(n) > 1})
            raise CommandError(f"Listed more than once: {', '.join(twice)}.")
        infants = {
            i.record_number: i
            for i in Infant.objects.filter(clinic=clinic, record_number__in=numbers).select_related(
                "clinic"
            )
        }
        unknown = [n for n in numbers if n not in infants]
        if unknown:
            raise CommandError(f"No infant of {clinic} has the record number {', '.join(unknown)}.")
        with tqdm(
            total=len(numbers),
            unit="course",
            disable=options["no_progress"],
            file=self.stderr,
        ) as bar:
            try:
                courses = start_courses_from_regimen(
                    infants=[infants[n] for n in numbers],
                    actor=actor,
                    regimen=regimen,
                    started_on=options["started_on"],
                    indication=options["indication"],
                    progress=bar.update,
                )
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Started {len(courses)} courses of {regimen} in {clinic} from "
                f"{options['started_on']:%Y-%m-%d}."
            )
        )

    def _regimen(self, clinic: Clinic, key: str, version: int | None) -> Regimen:
        rows = Regimen.objects.filter(Q(clinic__isnull=True) | Q(clinic=clinic), key=key)
        rows = rows.filter(version=version) if version is not None else rows.filter(is_active=True)
        # The clinic's own version first when it shares a number with a shipped one.
        regimen = rows.order_by("-version", F("clinic").asc(nulls_last=True)).first()
        if regimen is None:
            raise CommandError(f"No regimen {key!r} (version {version or 'in use'}) at {clinic}.")
        return regimen
