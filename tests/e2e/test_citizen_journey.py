"""A citizen finds a procedure without typing accents, files it online with two papers, gets the
receipt (Mẫu 01) once the desk receives it, and looks the dossier up on /track/ logged out.

Run twice: with JavaScript and without it (the portal must not need JavaScript to file)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import expect_error_on_field
from tests.e2e.steps import (
    BIRTH,
    BIRTH_CERTIFICATE,
    BIRTH_FORM,
    CITIZEN_PHONE,
    act,
    attach_birth_papers,
    expect_message,
    expect_status,
    open_at_desk,
    pdf_text,
    submit_filing,
)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_citizen_finds_files_and_tracks_a_birth_registration(
    new_journey, demo_data, tmp_path, javascript
):
    citizen = new_journey("citizen", javascript=javascript)
    page = citizen.goto("/")
    expect(page.get_by_role("heading", name="Dịch vụ công trực tuyến")).to_be_visible()

    # Search without accents.
    page.get_by_label("Bạn cần làm thủ tục gì?").fill("dang ky khai sinh")
    page.get_by_role("button", name="Tìm kiếm").click()
    results = page.get_by_role("table", name="Kết quả tìm kiếm thủ tục hành chính")
    expect(results.get_by_role("link", name="Đăng ký khai sinh", exact=True)).to_be_visible()
    citizen.check("search without accents")

    results.get_by_role("link", name="Đăng ký khai sinh", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Đăng ký khai sinh")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(BIRTH_FORM))).to_be_visible()
    citizen.check("procedure")

    # Filing needs an account: the login page, then straight back to the form.
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").first.click()
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    citizen.check("login before filing")
    citizen.fill_login("citizen1")
    expect(page).to_have_url(re.compile(rf"/dossiers/new/{re.escape(BIRTH)}/$"))
    expect(page.get_by_label("Họ và tên người nộp")).to_have_value("Nguyễn Thị Hồng Nhung")
    expect(page.get_by_label("Số điện thoại:", exact=True)).to_have_value(CITIZEN_PHONE)
    citizen.check("filing form")

    # A mistyped CCCD comes back with the error on the field, read with it by screen readers.
    page.get_by_label("Số CCCD").fill("06819000012")
    attach_birth_papers(page, tmp_path)
    page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Hồ sơ chưa được nộp")
    expect_error_on_field(page, "Số CCCD", "12 chữ số")
    citizen.check("filing form with an error")

    page.get_by_label("Số CCCD").fill("068190000123")
    page.get_by_label("Nội dung yêu cầu").fill(
        "Đăng ký khai sinh cho con thứ hai, cháu Nguyễn Minh An."
    )
    attach_birth_papers(page, tmp_path)  # a browser never keeps chosen files across pages
    code = submit_filing(page)
    expect_status(page, "Mới đăng ký")
    files = page.get_by_role("table", name="Danh sách tệp đính kèm của hồ sơ")
    expect(files.get_by_role("row", name=re.compile(BIRTH_FORM))).to_contain_text("to-khai.pdf")
    expect(files.get_by_role("row", name=re.compile(BIRTH_CERTIFICATE))).to_contain_text(
        "giay-chung-sinh.pdf"
    )
    citizen.check("dossier filed")

    # The commune desk receives it; the receipt (Mẫu 01) is issued at intake.
    desk = new_journey("desk", javascript=javascript)
    desk.login("desk.xuantruong")
    desk_page = open_at_desk(desk, code)
    act(desk_page, "Tiếp nhận hồ sơ")
    expect_message(desk_page, "Đã thực hiện “Tiếp nhận hồ sơ”")

    page.reload()
    expect_status(page, "Được tiếp nhận")
    receipt = page.get_by_role("link", name="Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    expect(receipt).to_be_visible()
    citizen.check("dossier received with receipt")
    text = pdf_text(page, receipt)
    assert "Mẫu số 01" in text and code in text and "Nguyễn Thị Hồng Nhung" in text

    page.get_by_role("link", name="Hồ sơ của tôi").first.click()
    expect(page.get_by_role("link", name=code)).to_be_visible()
    citizen.check("my dossiers")
    citizen.logout()

    # Anyone with the code and the phone number can follow it; a wrong phone finds nothing.
    page.get_by_role("link", name="Tra cứu hồ sơ").first.click()
    page.get_by_label("Mã hồ sơ").fill(code)
    page.get_by_label("Số điện thoại người nộp").fill("0999999999")
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.get_by_role("alert")).to_contain_text("Không tìm thấy hồ sơ")
    expect(page.get_by_role("region", name=f"Hồ sơ {code}")).to_have_count(0)
    page.get_by_label("Số điện thoại người nộp").fill("0912 345 678")
    page.get_by_role("button", name="Tra cứu").click()
    found = page.get_by_role("region", name=f"Hồ sơ {code}")
    expect(found).to_contain_text("Đăng ký khai sinh")
    expect(found).to_contain_text("Được tiếp nhận")
    expect(found).not_to_contain_text("K'Điểu Hương")  # no names of officials in public
    citizen.check("tracking logged out")
