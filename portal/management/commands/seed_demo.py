from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from portal import demo
from portal.calendar_data import prefill_calendar


class Command(BaseCommand):
    help = (
        "Load the demo data: Lâm Đồng's units and agencies, the procedure catalog and the demo "
        "accounts. Idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--layout",
            choices=demo.LAYOUTS,
            default="2017",
            help="2017: province-district-commune (the seed); 2025: province-commune.",
        )

    def handle(self, *args, layout: str, **options):
        with transaction.atomic():
            demo.seed_hierarchy(layout)
            accounts = demo.seed_accounts(layout)
        calendar = prefill_calendar()
        self.stdout.write(f"Holiday calendar: {len(calendar.created)} days added.")
        for path in settings.DEMO_SEEDERS:
            import_string(path)(layout=layout, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({layout} layout)."))
        self.stdout.write(f"Demo accounts (password: {demo.DEMO_PASSWORD}):")
        for account in accounts:
            self.stdout.write(f"  {account.username:<18} {account.description}")
