"""Databases made before an app's label changed, carried over to the new label (decision 0043).

Django keys migration history, table names and content types by app label. When a label changes,
a database migrated under the old one still holds the old tables and history rows; ``migrate``
would then try to create the app's tables again. ``relabel`` renames the tables and the history
and content-type rows in one transaction before ``migrate`` reads the history. It does nothing on a
database that never had the old label, so a fresh database and the test databases pass through.
"""

from __future__ import annotations

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

#: old label -> new label, oldest first
RELABELLED: dict[str, str] = {"notifications": "sms"}


def relabel(connection: BaseDatabaseWrapper) -> list[str]:
    """Carry every old label this database still holds over to its new one; the lines say what moved."""
    tables = set(connection.introspection.table_names())
    if "django_migrations" not in tables:
        return []
    done: list[str] = []
    quote = connection.ops.quote_name
    for old, new in RELABELLED.items():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = %s", [old])
            (applied,) = cursor.fetchone()
        if not applied:
            continue
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            for table in sorted(name for name in tables if name.startswith(f"{old}_")):
                renamed = f"{new}_{table[len(old) + 1:]}"
                cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(renamed)}")
                done.append(f"table {table} -> {renamed}")
            cursor.execute("UPDATE django_migrations SET app = %s WHERE app = %s", [new, old])
            if "django_content_type" in tables:
                cursor.execute("UPDATE django_content_type SET app_label = %s WHERE app_label = %s", [new, old])
            done.append(f"{applied} applied migrations and the content types of '{old}' -> '{new}'")
    return done
