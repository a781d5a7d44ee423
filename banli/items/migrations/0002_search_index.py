"""The full-text index of items (see banli.items.search).

SQLite: an FTS5 table, contentless (the tokens live in items_item.search_text), with
triggers keeping it in step with items_item. PostgreSQL: a generated column holding the
weighted tsvector of search_text (title tokens before the first newline, text tokens
after it) and a GIN index on it.
Existing rows get their search_text recomputed first, then the index is filled from it.

The SQL is written out here rather than imported so that this migration keeps doing what
it did when banli.items.search changes; a change of the index needs a new migration.
"""

from django.db import migrations

FTS = "items_item_search"


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


SQLITE_FORWARD = [
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
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS items_item_search_update",
    "DROP TRIGGER IF EXISTS items_item_search_delete",
    "DROP TRIGGER IF EXISTS items_item_search_insert",
    f"DROP TABLE IF EXISTS {FTS}",
]

# A stored generated column rather than an expression index: phrase queries recheck
# every candidate row and ranking reads every hit, which must not recompute the vector.
# The model does not know the column; Django never writes it.
PG_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, split_part(search_text, E'\\n', 1)), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, split_part(search_text, E'\\n', 2)), 'D')"
)
PG_FORWARD = [
    "ALTER TABLE items_item ADD COLUMN search_vector tsvector"
    f" GENERATED ALWAYS AS ({PG_VECTOR}) STORED",
    "CREATE INDEX items_item_search_gin ON items_item USING gin (search_vector)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS items_item_search_gin",
    "ALTER TABLE items_item DROP COLUMN IF EXISTS search_vector",
]


def recompute_search_text(apps, schema_editor):
    from banli.items.search import index_text

    Item = apps.get_model("items", "Item")
    db = schema_editor.connection.alias
    stale = []
    for item in Item.objects.using(db).only("pk", "title", "text", "search_text").iterator():
        fresh = index_text(item.title, item.text)
        if fresh != item.search_text:
            item.search_text = fresh
            stale.append(item)
    Item.objects.using(db).bulk_update(stale, ["search_text"], batch_size=500)


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("items", "0001_initial")]

    operations = [
        migrations.RunPython(recompute_search_text, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": PG_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": PG_BACKWARD}),
        ),
    ]
