import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from procedures.importexport.exporter import FORMATS, export_catalog


class Command(BaseCommand):
    help = "Export the published procedure catalog as CSV or XLSX (docs/catalog-format.md)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, default=None, help="default: csv")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, format: str | None, output: str | None, **options):
        fmt = format or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
        data = export_catalog(fmt=fmt)
        if output:
            Path(output).write_bytes(data)
            self.stderr.write(f"Wrote {len(data)} bytes to {output}.")
        elif fmt == "xlsx" and sys.stdout.isatty():
            self.stderr.write("Refusing to write XLSX to a terminal; use --output FILE.")
        else:
            target = getattr(self.stdout, "_out", sys.stdout)
            buffer = getattr(target, "buffer", None)
            if buffer is not None:
                buffer.write(data)
                buffer.flush()
            else:
                target.write(data.decode("utf-8") if fmt == "csv" else data.hex())
