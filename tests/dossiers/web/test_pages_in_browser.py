"""The dossier pages in a real browser (Chromium): every page screenshotted at desktop and
phone width and checked with axe-core (no serious or critical issue), without JavaScript of
ours. Uses the browser-journey helpers of tests/e2e."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dossiers.workflow import transition
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import Catalog
from tests.e2e.conftest import (  # noqa: F401 (fixtures)
    Journey,
    browser_context_args,
    browser_type_launch_args,
)
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey(page, live_server, request):
    return Journey(page, live_server.url, f"dossier-pages-{request.node.name}")


def named(user, username: str):
    user.username = username
    user.save(update_fields=["username"])
    return user


def test_citizen_desk_and_public_pages(journey):
    web = Catalog(postal_eligible=True)
    named(web.citizen, "citizen.web")
    named(web.leader, "leader.web")
    named(web.desk, "desk.web")
    dossier = file_online(web)
    transition(dossier.code, "receive", web.desk)

    journey.login("citizen.web", PASSWORD)
    page = journey.goto(f"/dossiers/new/{web.code}/")
    expect(page.get_by_label("Giấy tờ to-khai")).to_have_attribute("multiple", "")
    journey.check("filing form")
    journey.goto("/dossiers/")
    expect(page.get_by_role("link", name=dossier.code)).to_be_visible()
    journey.check("my dossiers")
    page.get_by_role("link", name=dossier.code).click()
    expect(page.get_by_text("Tiếp nhận hồ sơ", exact=True)).to_be_visible()
    journey.check("dossier detail")
    page.get_by_role("link", name="Rút hồ sơ…").click()
    journey.check("withdrawal confirmation")
    journey.logout()

    page = journey.goto("/track/")
    page.get_by_label("Mã hồ sơ").fill(dossier.code)
    page.get_by_label("Số điện thoại người nộp").fill("0912 345 678")
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.get_by_text("Được tiếp nhận").first).to_be_visible()
    journey.check("tracking result")

    journey.login("leader.web", PASSWORD)
    page = journey.goto("/desk/?tab=received")
    expect(page.get_by_role("link", name=dossier.code)).to_be_visible()
    journey.check("desk queue")
    page.get_by_role("link", name=dossier.code).click()
    expect(page.get_by_role("heading", name="Phân công xử lý")).to_be_visible()
    journey.check("processing page")
    page.get_by_role("button", name="Dừng xử lý").click()  # no reason: the browser stops it
    expect(page.get_by_label("Lý do").first).to_be_visible()
    journey.logout()

    journey.login("desk.web", PASSWORD)
    page = journey.goto(f"/desk/new/?q={web.code}")
    journey.check("procedure picker")
    journey.goto(f"/desk/new/{web.code}/")
    journey.check("walk-in form")
