from django.core.management.base import BaseCommand, CommandError

from signatures.demo import DEMO_SIGNERS, ROOT_CN, issue_demo_pki
from signatures.errors import ProviderUnavailable


class Command(BaseCommand):
    help = (
        f'Create the demo PKI offline: root "{ROOT_CN}" (registered as a trust anchor), an '
        f"intermediate and signing certificates for {', '.join(DEMO_SIGNERS)}. Idempotent."
    )

    def handle(self, *args, **options):
        try:
            state = issue_demo_pki()
        except ProviderUnavailable as exc:
            raise CommandError(exc.message) from exc
        for line in state.created:
            self.stdout.write(f"created {line}")
        if not state.created:
            self.stdout.write("The demo PKI is complete; nothing to do.")
        for username, certificate in sorted(state.certificates.items()):
            self.stdout.write(
                f"  {username:<12} {certificate.subject_cn} "
                f"(serial {certificate.serial_number}, valid to {certificate.not_after:%Y-%m-%d})"
            )
        missing = sorted(set(DEMO_SIGNERS) - set(state.certificates))
        if missing:
            self.stdout.write(
                self.style.WARNING(f"No such users (run seed_demo first): {', '.join(missing)}")
            )
        self.stdout.write(self.style.SUCCESS(f"Demo PKI ready: {state.root}."))
