from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from patients.models import User
from patients.services.development import import_norm_table


class Command(BaseCommand):
    help = (
        "Import a Denver II norm table (for example the one from the clinic's licensed Technical "
        "Manual) as a new version. The file format is described in "
        "patients/clinical/data/denver_ii/PROVENANCE.md; stored assessments keep the version "
        "that scored them."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Django gives every command a --version flag printing Django's version; here --version
        # names the table, so the command's own definition replaces Django's.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The norm table file (UTF-8 CSV).")
        parser.add_argument(
            "--version",
            required=True,
            help="The table's version id, e.g. denver-ii-technical-manual-1992-clinic-a; "
            "must match the file's '# version:' line when it has one.",
        )
        parser.add_argument(
            "--default",
            action="store_true",
            dest="make_default",
            help="Score new assessments with this table from now on.",
        )
        parser.add_argument(
            "--imported-by",
            metavar="USERNAME",
            help="The user recorded as having imported the table.",
        )

    def handle(self, *args, path: Path, version: str, make_default: bool, imported_by, **options):
        actor = None
        if imported_by:
            actor = User.objects.filter(username=imported_by).first()
            if actor is None:
                raise CommandError(f"No user {imported_by!r}.")
        try:
            table = import_norm_table(path, version=version, actor=actor, make_default=make_default)
        except ValidationError as error:
            problems = "\n".join(f"  - {message}" for message in error.messages)
            raise CommandError(f"{path} was not imported:\n{problems}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported Denver II norm table {table.version}: {len(table.items)} items."
            )
        )
        if table.is_default:
            self.stdout.write("New assessments are scored with it from now on.")
