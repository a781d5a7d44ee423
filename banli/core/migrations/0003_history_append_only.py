"""The database itself refuses to change or delete history (docs/domain.md: every change is
kept forever), so neither a raw SQL statement nor a script that bypasses the ORM can rewrite
the case file.

PostgreSQL: a row trigger refuses UPDATE and DELETE. TRUNCATE (a statement, used by Django's
`flush` and the test runner between transactional tests) is left alone.

SQLite: a trigger refuses UPDATE only. Django's `flush` empties SQLite tables with DELETE, so a
DELETE trigger would stop `flush` and the transactional (browser) tests; the ORM refuses
deletes there (HistoryQuerySet, HistoryEntry.delete).

A later migration that must rewrite history rows (it should not) has to drop the trigger
first. On SQLite, a migration that rebuilds the table (most field changes) drops the trigger
with the old table: tests/test_history.py notices.
"""

from django.db import migrations

PG_CREATE = """
CREATE OR REPLACE FUNCTION banli_history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history entries are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION banli_history_append_only();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP FUNCTION IF EXISTS banli_history_append_only();
"""
SQLITE_CREATE = """
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN
    SELECT RAISE(ABORT, 'history entries are append-only: UPDATE refused');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS {table}_no_update;"


def _run(apps, schema_editor, statements: dict[str, str]) -> None:
    sql = statements.get(schema_editor.connection.vendor)
    if sql:
        table = apps.get_model("core", "HistoryEntry")._meta.db_table
        schema_editor.execute(sql.format(table=table), params=None)


def create_triggers(apps, schema_editor):
    _run(apps, schema_editor, {"postgresql": PG_CREATE, "sqlite": SQLITE_CREATE})


def drop_triggers(apps, schema_editor):
    _run(apps, schema_editor, {"postgresql": PG_DROP, "sqlite": SQLITE_DROP})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_actor_kind"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="historyentry",
            options={
                "base_manager_name": "objects",
                "ordering": ["at", "id"],
                "verbose_name": "history entry",
                "verbose_name_plural": "history",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
