"""The layering of docs/architecture.md: core <- bodies <- items <- handling <- supervision.

A lower layer never imports a higher one, not even inside a function; what a higher app
adds to a lower one's pages (a list column, a filter, a start page section) it registers,
and deadlines reach items as a column that handling keeps (`Item.next_due_on`)."""

import ast
import datetime as dt
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from banli.handling import services as handling
from banli.items.models import Item

from .factories import on

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "core",
    "bodies",
    "notices",
    "delivery",
    "items",
    "handling",
    "supervision",
    "reminders",
    "batch",
    "desk",
]


def imported_modules(source: str, module: str) -> set[str]:
    """Every module a source file imports, wherever the import stands (a function-level
    import is still an import), relative imports resolved against `module`."""
    found = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def upward_imports(layer: str) -> list[str]:
    """`file: module` for each import of a higher layer under banli/<layer>."""
    above = tuple(f"banli.{name}" for name in LAYERS[LAYERS.index(layer) + 1 :])
    wrong = []
    for path in sorted((ROOT / "banli" / layer).rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for name in imported_modules(path.read_text(encoding="utf-8"), module):
            if any(name == a or name.startswith(f"{a}.") for a in above):
                wrong.append(f"{path.relative_to(ROOT)}: {name}")
    return wrong


def test_a_function_level_import_counts():
    source = "def overdue():\n    from banli.handling.models import Assignment\n"
    assert "banli.handling.models" in imported_modules(source, "banli.items.models")
    relative = "from ..handling import services\n"
    assert "banli.handling" in imported_modules(relative, "banli.items.views")


def test_no_layer_imports_a_layer_above_it():
    for layer in LAYERS:
        assert upward_imports(layer) == [], f"banli.{layer} imports a higher layer"


def test_items_templates_name_no_page_of_a_higher_app():
    """The items app's templates link to handling's pages only through registered sections."""
    for path in (ROOT / "banli" / "items" / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for app in LAYERS[LAYERS.index("items") + 1 :]:
            assert f"'{app}:" not in text and f'"{app}:' not in text, path
            assert f"{app}/" not in text, path


def test_import_contracts_of_pyproject_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


# The column handling keeps for items.


def next_due(item) -> dt.date | None:
    return Item.objects.get(pk=item.pk).next_due_on


def test_assignment_sets_the_earliest_lead_due_date(world):
    with on(dt.date(2026, 3, 2)):
        leads, co = world.units[:2], world.add_unit()
        item = world.assigned(lead=leads, co=[co])
    leads = item.assignments.filter(role="lead")
    assert next_due(item) == dt.date(2026, 6, 2) == min(a.due_on for a in leads)
    assert Item.objects.overdue(dt.date(2026, 6, 3)).filter(pk=item.pk).exists()
    assert not Item.objects.overdue(dt.date(2026, 6, 2)).filter(pk=item.pk).exists()
    assert Item.objects.due_within(dt.date(2026, 5, 10), 30).filter(pk=item.pk).exists()
    assert not Item.objects.due_within(dt.date(2026, 4, 10), 30).filter(pk=item.pk).exists()


def test_approved_extension_moves_the_column_and_the_reply_clears_it(world):
    with on(dt.date(2026, 3, 2)):
        item = world.assigned()
        a = world.lead_assignment(item)
        handling.accept_assignment(a, by=world.coord[a.unit_id])
        extension = handling.request_extension(
            a, by=world.coord[a.unit_id], until=dt.date(2026, 7, 15), reason="需跨部门协调"
        )
        assert next_due(item) == dt.date(2026, 6, 2)
        handling.decide_extension(extension, by=world.staff, approve=True)
        assert next_due(item) == dt.date(2026, 7, 15)
        handling.draft_reply(a, by=world.handler[a.unit_id], text="答复", result_class="A")
        handling.sign_reply(a, by=world.leader[a.unit_id])
    assert next_due(item) is None
    assert not Item.objects.overdue(dt.date(2027, 1, 1)).filter(pk=item.pk).exists()


def test_a_dispute_keeps_the_due_date_and_a_reassignment_restarts_it(world):
    with on(dt.date(2026, 3, 2)):
        item = world.assigned()
        a = world.lead_assignment(item)
        handling.dispute(a, by=world.coord[a.unit_id], reason="非本单位职责")
    assert next_due(item) == dt.date(2026, 6, 2)
    with on(dt.date(2026, 3, 9)):
        handling.reassign(a, by=world.staff, to_unit=world.units[1])
    assert next_due(item) == dt.date(2026, 6, 9)


def test_the_earliest_open_lead_unit_counts_until_it_replies(world):
    """分办: the item is due when its first open part is due; a part replied is not due."""
    with on(dt.date(2026, 3, 2)):
        item = world.assigned(lead=world.units)
        late, early = (world.lead_assignment(item, unit) for unit in world.units)
        for a in (late, early):
            handling.accept_assignment(a, by=world.coord[a.unit_id])
        extension = handling.request_extension(
            late, by=world.coord[late.unit_id], until=dt.date(2026, 8, 1), reason="需调研"
        )
        handling.decide_extension(extension, by=world.staff, approve=True)
        assert next_due(item) == dt.date(2026, 6, 2)
        handling.draft_reply(early, by=world.handler[early.unit_id], text="答复", result_class="A")
        handling.sign_reply(early, by=world.leader[early.unit_id])
    assert next_due(item) == dt.date(2026, 8, 1)


def test_unsatisfied_evaluation_gives_the_rehandling_due_date(world):
    with on(dt.date(2026, 3, 2)):
        item = world.replied("C")
    assert next_due(item) is None
    with on(dt.date(2026, 4, 1)):
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
    assert next_due(item) == dt.date(2026, 5, 1)


def test_list_shows_lead_units_and_filters_by_unit_through_handlings_registrations(client, world):
    with on(dt.date(2026, 3, 2)):
        mine = world.assigned(lead=[world.units[1]], title="关于完善公交线网的建议")
        world.assigned(lead=[world.units[0]], title="关于增加停车位的建议")
    client.force_login(world.staff)
    page = client.get(reverse("items:list")).content.decode()
    assert "Lead units" in page and world.units[1].name in page
    assert 'name="unit"' in page
    with on(dt.date(2026, 3, 3)):
        found = client.get(reverse("items:list"), {"unit": world.units[1].pk})
    assert [i.pk for i in found.context["page"].object_list] == [mine.pk]
    assert 'title="2026-06-02"' in found.content.decode()  # the due column: next_due_on
