import getpass
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.models import Agency, User
from signatures.errors import SignatureError
from signatures.services import import_pkcs12

PASSWORD_VARIABLE = "PKCS12_IMPORT_PASSWORD"  # noqa: S105 - the name of a variable


class Command(BaseCommand):
    help = (
        "Import an official's PKCS#12 (.p12/.pfx) into the local signing provider: the key is "
        "re-encrypted with SIGNATURES_PKCS12_PASSWORD and the certificate registered for the "
        f"user. The file's password is read from ${PASSWORD_VARIABLE} or asked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username of the official")
        parser.add_argument("--file", required=True, type=Path, help="the .p12/.pfx file")
        parser.add_argument("--title", default="", help="title printed on the stamp")
        parser.add_argument("--agency", default="", help="agency code, e.g. H36.01")

    def handle(self, *args, user: str, file: Path, title: str, agency: str, **options):
        official = User.objects.filter(username=user).first()
        if official is None:
            raise CommandError(f"No user {user!r}.")
        agency_row = None
        if agency:
            agency_row = Agency.objects.filter(code=agency).first()
            if agency_row is None:
                raise CommandError(f"No agency {agency!r}.")
        password = os.environ.get(PASSWORD_VARIABLE)
        if password is None:
            password = getpass.getpass("PKCS#12 password: ")
        try:
            certificate = import_pkcs12(
                Path(file).read_bytes(), password, user=official, title=title, agency=agency_row
            )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        except SignatureError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Registered {certificate.subject_cn} (serial {certificate.serial_number}) "
                f"for {official.username}, valid to {certificate.not_after:%Y-%m-%d}."
            )
        )
