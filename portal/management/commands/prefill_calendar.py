from django.core.management.base import BaseCommand, CommandError

from portal.calendar_data import FIRST_YEAR, LAST_YEAR, prefill_calendar


class Command(BaseCommand):
    help = (
        "Pre-fill the holiday calendar (public holidays on weekdays and make-up working days) "
        "from the holidays package. Existing rows are never changed; years that already have "
        "rows are skipped unless --force (see portal/calendar_data.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first_year", type=int, default=FIRST_YEAR)
        parser.add_argument("--to", dest="last_year", type=int, default=LAST_YEAR)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Also add missing days to years that already have rows (re-creates rows an "
            "administrator deleted). Existing rows are still never overwritten.",
        )
        parser.add_argument(
            "--without-culture-day",
            action="store_true",
            help="Leave out Ngày Văn hóa Việt Nam (24/11, from 2026) and its observed days.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would be added.")

    def handle(self, *args, first_year, last_year, force, without_culture_day, dry_run, **opts):
        try:
            result = prefill_calendar(
                first_year,
                last_year,
                force=force,
                include_culture_day=not without_culture_day,
                dry_run=dry_run,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verbose = dry_run or opts["verbosity"] > 1
        for day in result.created if verbose else ():
            self.stdout.write(f"  {day.date:%Y-%m-%d} {day.kind:<8} {day.name}")
        verb = "would add" if dry_run else "added"
        self.stdout.write(
            f"Calendar {first_year}–{last_year}: {verb} {len(result.created)} days, "
            f"kept {result.kept} existing."
        )
        if result.skipped_years:
            years = ", ".join(str(year) for year in result.skipped_years)
            self.stdout.write(
                self.style.WARNING(
                    f"Years already curated, missing package days not added: {years} "
                    "(use --force to add them; existing rows are never overwritten)."
                )
            )
