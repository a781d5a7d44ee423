"""The Content-Security-Policy allows styles only from banli's stylesheets (style-src 'self'):
the browser refuses a style="" attribute and a <style> block, and the page silently loses its
spacing and grids. So no template may hold one, and no form may give its widget one; the
stylesheets (banli/core/static/banli/app.css, an app's own css) have a class for each."""

import re
from html.parser import HTMLParser
from pathlib import Path

BANLI = Path(__file__).resolve().parents[1] / "banli"
TEMPLATES = sorted(BANLI.rglob("templates/**/*.html"))
# In the raw text as well as parsed: an attribute written inside {% if %} is still an attribute.
INLINE_STYLE = re.compile(r"(?<![\w-])style\s*=|<style\b", re.I)
# A widget's attrs={"style": ...} or a style="..." written into an HTML string in Python.
PYTHON_STYLE = re.compile(r"""["']style["']\s*:|\sstyle=\\?["']""")


class StyleFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self.found.append(f"line {self.getpos()[0]}: <style>")
        self.found += [
            f"line {self.getpos()[0]}: <{tag} style=…>" for name, _ in attrs if name == "style"
        ]


def test_the_templates_are_found():
    assert len(TEMPLATES) > 50
    assert BANLI / "templates" / "base.html" in TEMPLATES


def test_no_template_holds_an_inline_style():
    found = []
    for template in TEMPLATES:
        text = template.read_text()
        name = template.relative_to(BANLI)
        parser = StyleFinder()
        parser.feed(text)
        parser.close()
        found += [f"{name} {where}" for where in parser.found]
        for match in INLINE_STYLE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{name} line {line}: {match.group(0)}")
    assert found == []


def test_no_form_gives_its_widget_an_inline_style():
    found = []
    for module in sorted(BANLI.rglob("*.py")):
        if "migrations" in module.parts:
            continue
        text = module.read_text()
        for match in PYTHON_STYLE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{module.relative_to(BANLI)} line {line}: {match.group(0).strip()}")
    assert found == []


def test_the_guard_sees_what_it_guards_against():
    parser = StyleFinder()
    parser.feed('<p class="x"\n   style="margin:0">a</p><style>p{}</style>')
    assert len(parser.found) == 2
    conditional = '<a class="facet"{% if on %} style="font-weight:700"{% endif %}>'
    assert INLINE_STYLE.search(conditional)
    assert not INLINE_STYLE.search('<ul class="list-plain" data-style="x">')
    assert PYTHON_STYLE.search('forms.Textarea(attrs={"rows": 2, "style": "min-height:4rem"})')
    assert not PYTHON_STYLE.search('forms.Textarea(attrs={"rows": 2, "class": "short"})')
