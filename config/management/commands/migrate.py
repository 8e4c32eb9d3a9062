"""``migrate``, first carrying a database made before an app's label changed over to the new label
(``config.relabel``, decision 0043), then Django's own ``migrate``."""

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from config.relabel import relabel


class Command(DjangoMigrate):
    def handle(self, *args: Any, **options: Any) -> None:
        for line in relabel(connections[options["database"]]):
            if options["verbosity"] >= 1:
                self.stdout.write(f"Relabelled {line}")
        super().handle(*args, **options)
