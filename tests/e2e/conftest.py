"""Browser journeys: pytest-playwright driving Debian's Chromium against a live server on the
real PostgreSQL (shared/docs/recipes.md). Screenshots of every step go to tests/e2e/screenshots/
(ignored by git) at desktop and phone widths; every page is checked with axe-core."""

import os
import re
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

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
_axe = Axe()


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: bash scripts/install_system_packages.sh")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESKTOP, "locale": "vi-VN"}


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", verbosity=0)


class Journey:
    """One person's way through the portal: screenshots and accessibility checks per page."""

    def __init__(self, page, base_url: str, name: str):
        self.page = page
        self.base_url = base_url
        self.name = name
        self.step = 0
        (SCREENSHOTS / name).mkdir(parents=True, exist_ok=True)

    def goto(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def check(self, label: str) -> None:
        """Screenshot at desktop and phone widths, then axe-core: no serious/critical issue."""
        self.step += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        stem = SCREENSHOTS / self.name / f"{self.step:02d}-{slug}"
        self.page.screenshot(path=f"{stem}-desktop.png", full_page=True)
        self.page.set_viewport_size(PHONE)
        self.page.screenshot(path=f"{stem}-phone.png", full_page=True)
        self.page.set_viewport_size(DESKTOP)
        results = _axe.run(self.page)
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v.get("impact") in BLOCKING_IMPACTS
        ]
        assert not blocking, f"{label}: accessibility violations:\n" + "\n".join(blocking)

    def login(self, username: str, password: str = "demo12345") -> None:
        self.goto("/accounts/login/")
        self.page.get_by_label("Tên đăng nhập").fill(username)
        self.page.get_by_label("Mật khẩu").fill(password)
        self.page.get_by_role("button", name="Đăng nhập").last.click()
        self.page.wait_for_load_state()

    def logout(self) -> None:
        self.page.get_by_role("button", name="Đăng xuất").click()
        self.page.wait_for_load_state()


@pytest.fixture
def journey(page, live_server, request):
    return Journey(page, live_server.url, request.node.name)
