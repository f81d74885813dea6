"""Browser journeys: pytest-playwright driving Debian's Chromium against a live server on the
real PostgreSQL (shared/docs/recipes.md). Screenshots of every step go to tests/e2e/screenshots/
(ignored by git) at desktop and phone widths; every page is checked with axe-core.

One live server and one seeded demo database for the whole e2e run: ``seed_demo`` costs tens of
seconds, so the journeys share it instead of seeding and flushing per test. Each journey works
on dossiers it files itself, so the order of the journeys does not matter. The e2e tests run
last in a session (``pytest_collection_modifyitems``) and the database is flushed when the
server stops, so the rest of the suite never sees the demo data.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfWriter
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an event loop in this thread; the ORM is used beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = {"serious", "critical"}
PASSWORD = "demo12345"
_axe = Axe()
#: How much wider than the screen the page is, and the elements sticking out (the outermost
#: ones, unless a scrolling ancestor clips them).
WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const overflow = document.documentElement.scrollWidth - width;
  if (overflow <= 1) return {overflow, culprits: []};
  const clipped = (e) => {
    // An absolutely positioned element escapes every scroller between it and its containing
    // block (e.g. a visually-hidden span in a scrolling table of a non-positioned wrapper).
    let escaping = ["absolute", "fixed"].includes(getComputedStyle(e).position);
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      const box = a.getBoundingClientRect();
      if (!escaping && style.overflowX !== "visible" && box.right <= width + 1) return true;
      if (escaping && style.position !== "static") escaping = false;
    }
    return false;
  };
  const out = [];
  for (const e of document.querySelectorAll("body *")) {
    const r = e.getBoundingClientRect();
    if (!r.width || r.right <= width + 1 || clipped(e)) continue;
    if (out.some((o) => o.node.contains(e))) continue;
    const name = `${e.tagName.toLowerCase()}.${e.className}`;
    out.push({node: e, text: `${name} (${Math.round(r.right)}px)`});
  }
  return {overflow, culprits: out.slice(0, 5).map((o) => o.text)};
}"""
_E2E_DIR = f"{os.sep}tests{os.sep}e2e{os.sep}"


def _is_journey(item) -> bool:
    return _E2E_DIR in str(item.fspath)


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items):
    """Mark the journeys ``e2e`` before ``-m`` selects tests (``make test`` runs them in a
    pytest process of their own), then, after every other plugin's reordering, run browser
    tests last: Playwright's sync API keeps an event loop running in the main thread from its
    first use to the end of the session (``asyncio.run`` elsewhere, e.g. pyHanko's, would fail
    after it), and the journeys share one seeded database no other test must see. Order: other
    tests, other browser tests (marked ``e2e``), then the journeys of tests/e2e."""
    for item in items:
        if _is_journey(item):
            item.add_marker(pytest.mark.e2e)
    result = yield
    journeys, browser_tests, others = [], [], []
    for item in items:
        if _is_journey(item):
            journeys.append(item)
        elif item.get_closest_marker("e2e"):
            browser_tests.append(item)
        else:
            others.append(item)
    items[:] = others + browser_tests + journeys
    return result


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: bash scripts/install_system_packages.sh")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESKTOP, "locale": "vi-VN"}


# --- one server, one database, one media folder for the whole run ------------------------------


@pytest.fixture(scope="session")
def e2e_media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e-media")


@pytest.fixture(autouse=True)
def _isolated_media(settings, e2e_media):
    """Overrides the suite's per-test media folders: the demo's stored files (form templates,
    the demo signing keys) must outlive the test that seeded them."""
    settings.MEDIA_ROOT = e2e_media / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(e2e_media / "private"), "base_url": None},
        },
    }


@pytest.fixture(scope="session")
def live_server(django_db_setup, django_db_blocker):
    """One live server for the whole run. It keeps pytest-django's name, so pytest-django sets
    up the test database for the journeys even when they run alone; its per-test helper (which
    would flush the database after every journey, and with it the demo data) is replaced below.
    """
    server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
    yield server
    server.stop()
    from django.db import connection

    if connection.settings_dict["NAME"].startswith("test_"):  # never a real database
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Replaces pytest-django's helper of the same name for the journeys: no flush per test
    (``portal`` below gives the test its database access and the server's settings)."""
    yield


@pytest.fixture
def portal(live_server, django_db_blocker, settings):
    """The live portal for one journey; the test may use the ORM beside it (autocommit: the
    server thread sees what the test writes and the other way round)."""
    settings.PORTAL_BASE_URL = live_server.url  # payment sandbox return and webhook URLs
    live_server._live_server_modified_settings.enable()
    with django_db_blocker.unblock():
        yield live_server
    live_server._live_server_modified_settings.disable()


@pytest.fixture
def live_url(portal) -> str:
    return portal.url


@pytest.fixture
def demo_data(portal):
    """The demo province, catalog, accounts and PKI, seeded once per run (re-seeded only when
    something emptied the database in between)."""
    from portal.models import User

    if not User.objects.filter(username="leader.tnmt").exists():
        call_command("seed_demo", verbosity=0)


# --- the journey helper ---------------------------------------------------------------------


class Journey:
    """One person's way through the portal: screenshots and accessibility checks per page.

    Several people of one test (``new_journey``) share the folder and the step counter, so the
    screenshots read in the order things happened: ``07-desk-request-supplement-phone.png``."""

    def __init__(
        self,
        page,
        base_url: str,
        name: str,
        *,
        person: str = "",
        axe: bool = True,  # False: screenshots only (a context without JavaScript)
        counter: list[int] | None = None,
    ):
        self.page = page
        self.base_url = base_url
        self.name = name
        self.person = person
        self.axe = axe
        self.counter = counter if counter is not None else [0]
        (SCREENSHOTS / name).mkdir(parents=True, exist_ok=True)

    @property
    def step(self) -> int:
        return self.counter[0]

    def goto(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def check(self, label: str) -> None:
        """Screenshots at desktop and phone widths (the page must not be wider than the phone),
        then axe-core: no serious or critical issue."""
        self.counter[0] += 1
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.person} {label}".lower()).strip("-")
        stem = SCREENSHOTS / self.name / f"{self.counter[0]:02d}-{slug}"
        self.page.screenshot(path=f"{stem}-desktop.png", full_page=True)
        self.page.set_viewport_size(PHONE)
        # Scripts (ours and axe's) cannot run in a context without JavaScript: screenshots only
        # there; the same pages are measured in the journeys with JavaScript.
        wide = self.page.evaluate(WIDER_THAN_SCREEN) if self.axe else {"overflow": 0}
        self.page.screenshot(path=f"{stem}-phone.png", full_page=True)
        self.page.set_viewport_size(DESKTOP)
        assert wide["overflow"] <= 1, (
            f"{label}: {wide['overflow']}px wider than a phone screen: {wide['culprits']}"
        )
        if not self.axe:
            return
        results = _axe.run(self.page)
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v.get("impact") in BLOCKING_IMPACTS
        ]
        assert not blocking, f"{label}: accessibility violations:\n" + "\n".join(blocking)

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.goto("/accounts/login/")
        self.fill_login(username, password)

    def fill_login(self, username: str, password: str = PASSWORD) -> None:
        """Sign in on the login page the browser is on (e.g. after a redirect)."""
        self.page.get_by_label("Tên đăng nhập").fill(username)
        self.page.get_by_label("Mật khẩu").fill(password)
        self.page.get_by_role("button", name="Đăng nhập").last.click()
        expect(self.page.get_by_role("button", name="Đăng xuất")).to_be_visible()

    def logout(self) -> None:
        self.page.get_by_role("button", name="Đăng xuất").click()
        expect(self.page.get_by_role("link", name="Đăng nhập")).to_be_visible()


@pytest.fixture
def journey(page, live_url, request):
    return Journey(page, live_url, request.node.name)


@pytest.fixture
def new_journey(browser, live_url, request, browser_context_args):
    """``new_journey(person, javascript=True)``: one person of the test in a browser context of
    their own (own cookies; optionally without JavaScript). Screenshots share one folder."""
    contexts = []
    counter = [0]

    def make(person: str, *, javascript: bool = True) -> Journey:
        context = browser.new_context(**browser_context_args, java_script_enabled=javascript)
        contexts.append(context)
        return Journey(
            context.new_page(),
            live_url,
            request.node.name,
            person=person,
            counter=counter,
            axe=javascript,
        )

    yield make
    for context in contexts:
        context.close()


# --- small helpers shared by the journeys -----------------------------------------------------


def write_pdf(path: Path, title: str) -> Path:
    """A small real PDF (one A4 page with a title in its metadata) for uploads."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def expect_error_on_field(page, label: str, message: str) -> None:
    """The field is marked invalid and its error message is part of its accessible description
    (``aria-describedby`` points at the message), so a screen reader reads it with the field."""
    field = page.get_by_label(label, exact=False).first
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(re.escape(message)))
