"""Search within a body, through the full-text index (see banli.items.search).

SQLite: the FTS5 table gets a third column holding the item's body as one token
(``b<id>``), so a search within a body intersects the body's posting list with the
query's instead of ranking the hits of every body; the table is recreated and refilled
and its triggers follow the body too. PostgreSQL: the GIN index covers (body_id,
search_vector) through btree_gin, a contrib extension shipped with PostgreSQL (trusted:
a database owner may create it), so the index answers the body and the words together.
"""

from django.db import migrations

FTS = "items_item_search"
TRIGGERS = ("items_item_search_insert", "items_item_search_delete", "items_item_search_update")


def forward_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        from banli.items.search import rebuild_sqlite_index

        rebuild_sqlite_index(schema_editor.connection)


def _title(r):
    return (
        f"CASE WHEN instr({r}.search_text, char(10)) "
        f"THEN substr({r}.search_text, 1, instr({r}.search_text, char(10)) - 1) "
        f"ELSE {r}.search_text END"
    )


def _body(r):
    return (
        f"CASE WHEN instr({r}.search_text, char(10)) "
        f"THEN substr({r}.search_text, instr({r}.search_text, char(10)) + 1) ELSE '' END"
    )


def _row(r):
    return f"{r}.id, {_title(r)}, {_body(r)}"


# Back to the two-column table of migration 0002, written out as it was.
SQLITE_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),
    f"DROP TABLE IF EXISTS {FTS}",
    f"CREATE VIRTUAL TABLE {FTS} USING fts5("
    "title, body, content='', tokenize='unicode61 remove_diacritics 0')",
    f"INSERT INTO {FTS}(rowid, title, body) SELECT {_row('items_item')} FROM items_item",
    "CREATE TRIGGER items_item_search_insert AFTER INSERT ON items_item BEGIN "
    f"INSERT INTO {FTS}(rowid, title, body) VALUES ({_row('new')}); END",
    "CREATE TRIGGER items_item_search_delete AFTER DELETE ON items_item BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, title, body) VALUES ('delete', {_row('old')}); END",
    "CREATE TRIGGER items_item_search_update AFTER UPDATE OF id, search_text ON items_item "
    "WHEN old.id IS NOT new.id OR old.search_text IS NOT new.search_text BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, title, body) VALUES ('delete', {_row('old')}); "
    f"INSERT INTO {FTS}(rowid, title, body) VALUES ({_row('new')}); END",
]

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX items_item_body_search_gin ON items_item USING gin (body_id, search_vector)",
    "DROP INDEX IF EXISTS items_item_search_gin",
]
PG_BACKWARD = [
    "CREATE INDEX items_item_search_gin ON items_item USING gin (search_vector)",
    "DROP INDEX IF EXISTS items_item_body_search_gin",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("items", "0005_list_indexes")]

    operations = [
        migrations.RunPython(forward_sqlite, _run({"sqlite": SQLITE_BACKWARD})),
        migrations.RunPython(_run({"postgresql": PG_FORWARD}), _run({"postgresql": PG_BACKWARD})),
    ]
