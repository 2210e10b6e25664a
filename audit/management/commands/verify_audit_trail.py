from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verify import Anchor, verify


def anchor(value: str) -> Anchor:
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ValueError(value)
    return Anchor(int(seq), digest)


class Command(BaseCommand):
    help = (
        "Check that no audit record was changed, removed or inserted by hand. "
        "Names the first broken record and exits with status 1 if one was."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect",
            type=anchor,
            metavar="NUMBER:HASH",
            help="The newest record as an earlier check printed it, kept outside the "
            "database: it must still be there, unchanged.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify(options["expect"])
        if report.problem is not None:
            raise CommandError(report.problem)
        self.stdout.write(
            self.style.SUCCESS(
                f"The audit trail is intact: {report.checked} records, "
                f"the newest #{report.head_seq}."
            )
        )
        if report.head_seq:
            self.stdout.write(
                "Keep this line somewhere outside the database, and check against it "
                f"next time with --expect:\n{report.head_seq}:{report.head_hash}"
            )
