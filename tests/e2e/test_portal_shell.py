"""The portal's shell: home page, sign-up and login, language switch, as a person uses them."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import expect_error_on_field


def test_citizen_signs_up_logs_out_and_back_in(journey, demo_data):
    page = journey.goto("/")
    expect(page.get_by_role("heading", name="Dịch vụ công trực tuyến")).to_be_visible()
    journey.check("home")

    page.get_by_role("link", name="Đăng ký").first.click()
    journey.check("signup form")
    page.get_by_label("Tên đăng nhập").fill("nguyenthib")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Bích")
    page.get_by_label("Số điện thoại").fill("0912000111")
    page.get_by_label("Số CCCD").fill("123")
    page.get_by_label("Mật khẩu:", exact=True).fill("Mat-khau-rat-manh-2026")
    page.get_by_label("Xác nhận mật khẩu").fill("Mat-khau-rat-manh-2026")
    page.get_by_role("button", name="Đăng ký").last.click()
    expect(page.get_by_text("Số CCCD phải gồm đúng 12 chữ số.")).to_be_visible()
    expect_error_on_field(page, "Số CCCD", "Số CCCD phải gồm đúng 12 chữ số.")
    journey.check("signup error")

    page.get_by_label("Số CCCD").fill("068190001234")
    page.get_by_label("Mật khẩu:", exact=True).fill("Mat-khau-rat-manh-2026")
    page.get_by_label("Xác nhận mật khẩu").fill("Mat-khau-rat-manh-2026")
    page.get_by_role("button", name="Đăng ký").last.click()
    expect(page.get_by_text("Đăng ký tài khoản thành công.")).to_be_visible()
    expect(page.get_by_text("Nguyễn Thị Bích")).to_be_visible()
    journey.logout()

    journey.login("citizen1")
    expect(page.get_by_text("Nguyễn Thị Hồng Nhung")).to_be_visible()
    journey.check("logged in")


def test_language_switch_to_english_and_back(journey):
    page = journey.goto("/")
    page.get_by_label("Ngôn ngữ").select_option("en")
    page.get_by_role("button", name="Đổi").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Online public services")).to_be_visible()
    journey.check("home in english")
    page.get_by_label("Language").select_option("vi")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def test_pages_work_without_javascript(new_journey, demo_data):
    visitor = new_journey("visitor", javascript=False)
    page = visitor.goto("/")
    page.get_by_label("Bạn cần làm thủ tục gì?").fill("khai sinh")
    page.get_by_role("button", name="Tìm kiếm").click()
    expect(page).to_have_url(re.compile(r"/procedures/\?q=khai\+sinh"))
    expect(page.get_by_role("link", name="Đăng ký khai sinh", exact=True)).to_be_visible()
    visitor.check("search without javascript")
