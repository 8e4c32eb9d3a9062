"""Write the GraphQL schema (SDL) to schema.graphql at the repository root, or check it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

SCHEMA_FILE = Path(settings.BASE_DIR) / "schema.graphql"


def current_sdl() -> str:
    from graphql_api.schema import schema

    return schema.as_str().rstrip("\n") + "\n"


class Command(BaseCommand):
    help = "Export the GraphQL schema to schema.graphql (use --check to fail when it is stale)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Exit non-zero if schema.graphql is stale.")
        parser.add_argument("--path", default=str(SCHEMA_FILE))

    def handle(self, *args, check: bool = False, path: str = str(SCHEMA_FILE), **options) -> None:
        target = Path(path)
        sdl = current_sdl()
        if check:
            if not target.exists() or target.read_text() != sdl:
                raise CommandError(f"{target} is stale: run `python manage.py graphql_schema`.")
            self.stdout.write("schema.graphql is up to date.")
            return
        target.write_text(sdl)
        self.stdout.write(f"Wrote {target}.")
