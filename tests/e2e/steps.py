"""Steps several journeys share, written the way a person does them: visible labels and roles."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import Journey, write_pdf

BIRTH = "1.001193"  # Đăng ký khai sinh: commune level, received at Xuân Trường, service level 4
BIRTH_FORM = "Tờ khai đăng ký khai sinh theo mẫu"
BIRTH_CERTIFICATE = "Giấy chứng sinh"
CITIZEN_PHONE = "0912345678"  # citizen1's phone, prefilled on the filing form
CODE = re.compile(r"Mã hồ sơ: (\S+)\.")


def attach_birth_papers(page: Page, tmp_path: Path) -> None:
    page.get_by_label(BIRTH_FORM).set_input_files(write_pdf(tmp_path / "to-khai.pdf", "Tờ khai"))
    page.get_by_label(BIRTH_CERTIFICATE).set_input_files(
        write_pdf(tmp_path / "giay-chung-sinh.pdf", "Giấy chứng sinh")
    )


def submit_filing(page: Page) -> str:
    """Press "Nộp hồ sơ" and return the dossier code the success message announces."""
    page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
    message = page.get_by_role("status").filter(has_text="Đã nộp hồ sơ thành công")
    expect(message).to_be_visible()
    code = CODE.search(message.inner_text()).group(1)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {code}")
    return code


def file_birth_registration(citizen: Journey, tmp_path: Path) -> str:
    """citizen1 (signed in) files a birth registration with both papers; returns the code."""
    page = citizen.goto(f"/dossiers/new/{BIRTH}/")
    attach_birth_papers(page, tmp_path)
    return submit_filing(page)


def open_at_desk(staff: Journey, code: str, tab: str | None = None) -> Page:
    """From the staff member's queue (optionally a tab) to the dossier's processing page."""
    page = staff.goto("/desk/")
    if tab:
        page.get_by_role("navigation", name="Hàng đợi hồ sơ theo trạng thái").get_by_role(
            "link", name=re.compile(rf"^{re.escape(tab)}")
        ).click()
    page.get_by_role("link", name=code, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {code}")
    return page


def act(page: Page, action: str, button: str | None = None, **fields: str) -> None:
    """Fill the named action form of the processing page (``label=value``) and submit it."""
    form = page.get_by_role("form", name=action)
    for label, value in fields.items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name=button or action).click()


def expect_message(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def expect_status(page: Page, status: str) -> None:
    """The dossier's status as the page shows it first, under its title."""
    expect(page.get_by_role("main").get_by_text(status, exact=True).first).to_be_visible()


def pdf_text(page: Page, link: Locator) -> str:
    """Fetch the PDF a link points to, with the page's cookies; the text of its first page."""
    response = page.context.request.get(urljoin(page.url, link.get_attribute("href")))
    assert response.ok, f"{response.status} {response.url}"
    assert response.headers["content-type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
