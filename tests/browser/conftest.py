"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live
server (which needs the `transactional_db` semantics: the data is committed so the server's
thread sees it).

Chromium is never downloaded: `make test` installs Debian's package where it is missing
(BANLI_CHROMIUM names another binary). A missing browser fails the tests with a clear message;
BANLI_SKIP_BROWSER=1 skips them.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("BANLI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "pw-banli-2026"  # tests.factories.make_user
TIMEOUT_MS = 10_000
VIEWPORT = {"width": 1280, "height": 900}


def _unavailable(reason: str):
    pytest.fail(
        f"{reason} The browser tests need Debian's Chromium: run `make browser` (or "
        "`apt-get install chromium`), or set BANLI_SKIP_BROWSER=1 to skip them.",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module."""
    if os.environ.get("BANLI_SKIP_BROWSER") == "1":
        pytest.skip("BANLI_SKIP_BROWSER=1")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"No Chromium at {CHROMIUM}.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The Python package `playwright` is not installed.")
    # Playwright's sync API keeps an asyncio loop running in the test thread; Django then
    # refuses the test's own database queries (SynchronousOnlyOperation) although nothing
    # here is asynchronous. Allowed only while the browser runs, so other tests keep the check.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


class Visits:
    """Opens pages as a given user: each user gets a browser context of their own (cookies,
    session) in the given language, logged in through the login page."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.contexts: list = []

    def new_page(self, language: str = "en", viewport=None):
        context = self.browser.new_context(viewport=viewport or VIEWPORT)
        # The UI will be translated to Chinese (the default language): the tests read English.
        context.add_cookies([{"name": "django_language", "value": language, "url": self.base_url}])
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context.new_page()

    def login(self, user, language: str = "en", viewport=None):
        """A page logged in as `user`, on the start page the login leads to."""
        page = self.new_page(language, viewport)
        page.goto(self.url("/login/"))
        form = page.locator("main form:has(#id_password)")
        form.locator("#id_username").fill(user.username)
        form.locator("#id_password").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    def url(self, path: str) -> str:
        return self.base_url + path

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def visits(browser, live_server):
    opened = Visits(browser, live_server.url)
    yield opened
    opened.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-artifacts/screenshots/ (git-ignored)."""

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def world(transactional_db):
    """tests.factories.World, committed for the live server's thread to read."""
    from ..factories import World

    return World()


@pytest.fixture
def other_world(transactional_db):
    from ..factories import World

    return World()
