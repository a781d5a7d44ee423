"""SQL written by hand where the ORM cannot say it as an index needs it."""

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL


def literal_condition(sql: str) -> RawSQL:
    """A condition written with its constants in the SQL, not as parameters: SQLite chooses
    a partial index only when the query's terms match the index's WHERE as written, which a
    bound parameter never does (PostgreSQL proves it either way). Only code constants go
    in here, never input."""
    return RawSQL(sql, (), output_field=BooleanField())
