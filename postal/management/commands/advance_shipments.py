"""Move sandbox shipments along, reporting each move to our own webhook over HTTP.

python manage.py advance_shipments                      # every in-flight sandbox shipment, one step
python manage.py advance_shipments --waybill SB0000000001VN --to delivered
python manage.py advance_shipments --to failed --note "Người nhận vắng nhà"
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dossiers.errors import DossierError
from postal import sandbox_driver
from postal.carriers import CarrierError
from postal.models import CARRIER_STATUSES, Shipment


class Command(BaseCommand):
    help = "Advance sandbox-carrier shipments through their states via the signed webhook."

    def add_arguments(self, parser):
        parser.add_argument("--waybill", action="append", default=[], help="repeatable")
        parser.add_argument("--to", choices=sorted(CARRIER_STATUSES), default=None)
        parser.add_argument("--note", default="", help="note of the last event (e.g. a reason)")
        parser.add_argument("--url", default=None, help="webhook URL (POSTAL_SANDBOX_WEBHOOK_URL)")

    def handle(self, *args, waybill, to, note, url, **options):
        queryset = Shipment.objects.filter(carrier="sandbox").in_flight()
        if waybill:
            queryset = Shipment.objects.filter(waybill__in=waybill)
            missing = set(waybill) - set(queryset.values_list("waybill", flat=True))
            if missing:
                raise CommandError(f"Unknown waybill(s): {', '.join(sorted(missing))}")
        send = sandbox_driver.http_sender(url)
        failures = 0
        shipments = list(queryset.order_by("id"))
        if not shipments:
            self.stdout.write("No sandbox shipment in flight.")
        for shipment in shipments:
            try:
                results = sandbox_driver.advance(shipment, to, send=send, note=note)
            except (DossierError, CarrierError) as exc:
                failures += 1
                self.stderr.write(f"{shipment.waybill}: {getattr(exc, 'message', exc)}")
                continue
            if not results:
                self.stdout.write(f"{shipment.waybill}: already {shipment.status}, nothing to do")
            for sent in results:
                line = (
                    f"{shipment.waybill} {shipment.order_number}: {sent.status}"
                    f" → HTTP {sent.http_status}"
                )
                if sent.http_status == 200:
                    self.stdout.write(line)
                else:
                    failures += 1
                    self.stderr.write(f"{line} {sent.response}")
        if failures:
            raise CommandError(f"{failures} shipment event(s) could not be delivered.")
