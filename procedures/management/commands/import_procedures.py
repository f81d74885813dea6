from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from procedures.bulk import ACTION_LABELS, Action
from procedures.importexport.importer import ImportRejected, import_catalog


class Command(BaseCommand):
    help = (
        "Import the procedure catalog from a CSV or XLSX file (docs/catalog-format.md). "
        "One transaction: any problem refuses the whole file and lists every problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .csv or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report, write nothing"
        )
        parser.add_argument(
            "--publish", action="store_true", help="publish new versions (default: drafts)"
        )
        parser.add_argument("--user", help="username recorded as the actor in the audit log")

    def handle(self, *args, file: str, dry_run: bool, publish: bool, user: str | None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user {user!r}.")
        try:
            result = import_catalog(
                path.read_bytes(), path.name, actor=actor, publish=publish, dry_run=dry_run
            )
        except ImportRejected as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"Tệp bị từ chối: {len(exc.problems)} lỗi, không có thay đổi nào được ghi."
            ) from exc
        verbose = int(options.get("verbosity", 1))
        if verbose > 1:
            for item in result.changed:
                fields = ", ".join(item.changes) or "-"
                self.stdout.write(f"dòng {item.row}: {item.code} – {item.label} ({fields})")
        summary = ", ".join(f"{ACTION_LABELS[action]}: {result.count(action)}" for action in Action)
        prefix = "[chạy thử, không ghi] " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{len(result.plans)} dòng. {summary}."))
