from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.verify import verify


class Command(BaseCommand):
    help = (
        "Check that no audit record was changed, removed or inserted by hand. "
        "Names the first broken record and exits with status 1 if one was."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify()
        if report.problem is not None:
            raise CommandError(report.problem)
        self.stdout.write(
            self.style.SUCCESS(
                f"The audit trail is intact: {report.checked} records, "
                f"the newest #{report.head_seq}."
            )
        )
