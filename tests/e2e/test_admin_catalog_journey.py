"""An administrator imports the province's catalog file in the Django admin (checked first, then
confirmed, as drafts), publishes one of the new versions, and sees it on the public catalog."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import expect_error_on_field

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "catalog-example.csv"
CODE = "LD.DD.11"  # first row of the example file; the demo has it at version 1


def test_admin_imports_catalog_publishes_and_public_sees_it(new_journey, demo_data, tmp_path):
    public = new_journey("public")
    page = public.goto(f"/procedures/{CODE}/")
    expect(page.get_by_role("definition").filter(has_text="Phiên bản 1,")).to_be_visible()

    admin = new_journey("admin")
    admin.login("admin")
    admin_page = admin.goto("/admin/procedures/procedure/")
    admin_page.get_by_role("link", name="Nhập từ tệp").click()
    expect(admin_page.get_by_role("heading", name="Nhập danh mục thủ tục từ tệp")).to_be_visible()
    admin.check("import form")

    # A file of the wrong kind is refused on its field, before anything is read.
    wrong = tmp_path / "danh-muc.txt"
    wrong.write_text("code,name\n", encoding="utf-8")
    admin_page.get_by_label("Tệp danh mục").set_input_files(wrong)
    admin_page.get_by_role("button", name="Kiểm tra và xem trước").click()
    expect_error_on_field(admin_page, "Tệp danh mục", "Chỉ nhận tệp .csv hoặc .xlsx.")
    admin.check("import wrong file")

    admin_page.get_by_label("Tệp danh mục").set_input_files(EXAMPLE)
    admin_page.get_by_role("button", name="Kiểm tra và xem trước").click()
    expect(admin_page.get_by_text("Tệp catalog-example.csv: 3 dòng hợp lệ.")).to_be_visible()
    expect(admin_page.get_by_text("Các phiên bản mới sẽ được lưu thành bản nháp.")).to_be_visible()
    expect(
        admin_page.get_by_role("row", name=re.compile(rf"^\d+ {re.escape(CODE)} "))
    ).to_be_visible()
    admin.check("import preview")
    admin_page.get_by_role("button", name="Xác nhận nhập").click()
    expect(admin_page.get_by_text("Đã nhập 3 dòng")).to_be_visible()
    admin.check("imported")

    # Drafts are not public yet.
    page.reload()
    expect(page.get_by_role("definition").filter(has_text="Phiên bản 1,")).to_be_visible()

    admin_page = admin.goto(f"/admin/procedures/procedureversion/?state__exact=draft&q={CODE}")
    draft = admin_page.get_by_role("row", name=re.compile(re.escape(CODE)))
    expect(draft).to_have_count(1)
    expect(draft).to_contain_text("Bản nháp")
    draft.get_by_role("checkbox").check()
    admin_page.get_by_label("Hoạt động").select_option(label="Công bố các bản nháp đã chọn")
    admin.check("publish draft")
    admin_page.get_by_role("button", name="Đi đến").click()
    expect(admin_page.get_by_role("listitem").filter(has_text="Đã công bố")).to_be_visible()
    admin.check("published")

    # The public catalog shows the new version at once (its cache is invalidated).
    page = public.goto("/procedures/")
    page.get_by_label(re.compile("^Tìm theo tên, mã thủ tục")).fill("cap doi so do")
    page.get_by_role("button", name="Tìm kiếm").click()
    results = page.get_by_role("table", name="Kết quả tìm kiếm thủ tục hành chính")
    link = results.get_by_role("link", name=re.compile("^Cấp đổi Giấy chứng nhận"))
    expect(link).to_be_visible()
    public.check("catalog finds the published version")
    link.click()
    expect(page.get_by_role("definition").filter(has_text="Phiên bản 2,")).to_be_visible()
    expect(
        page.get_by_role("definition").filter(has_text="Ủy ban nhân dân Thành phố Đà Lạt")
    ).to_be_visible()
    public.check("published procedure")
