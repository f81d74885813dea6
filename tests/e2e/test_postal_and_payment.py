"""Service level 4 end to end: the citizen files a land mortgage registration (LD.DD.12, fee
80.000 đồng) asking for the result by post, pays the fee online in the sandbox gateway and gets
the e-receipt; the provincial centre receives it, the department completes it, the post takes
the result (the desk's hand-over list), the sandbox carrier delivers it, and the dossier is
returned without anyone at a desk pressing "Trả kết quả"."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import write_pdf
from tests.e2e.steps import (
    act,
    expect_message,
    expect_status,
    open_at_desk,
    pdf_text,
    submit_filing,
)

MORTGAGE = "LD.DD.12"
PAPERS = (
    "Phiếu yêu cầu đăng ký thế chấp theo mẫu",
    "Hợp đồng thế chấp đã công chứng, chứng thực",
    "Giấy chứng nhận quyền sử dụng đất đã cấp",
)
ADDRESS = "12 Đường 3 Tháng 2, Phường 4, Đà Lạt, Lâm Đồng"


def test_level4_paid_online_and_result_delivered_by_post(new_journey, demo_data, tmp_path):
    citizen = new_journey("citizen")
    citizen.login("citizen1")
    page = citizen.goto(f"/procedures/{MORTGAGE}/")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").first.click()
    for number, paper in enumerate(PAPERS):
        page.get_by_label(paper).set_input_files(write_pdf(tmp_path / f"giay-{number}.pdf", paper))
    page.get_by_label("Nhận qua bưu chính").check()
    page.get_by_label("Địa chỉ nhận kết quả qua bưu chính").fill(ADDRESS)
    citizen.check("filing with delivery by post")
    code = submit_filing(page)
    expect(
        page.get_by_role("definition").filter(has_text=f"Nhận qua bưu chính – {ADDRESS}")
    ).to_be_visible()

    # --- payment in the sandbox gateway ----------------------------------------------------
    page.get_by_role("link", name="Thanh toán phí, lệ phí").click()
    fees = page.get_by_role("region", name="Phí, lệ phí")
    expect(fees).to_contain_text("80.000 đồng")
    citizen.check("fees to pay")
    fees.get_by_role("button", name="Thanh toán trực tuyến").click()
    expect(page.get_by_role("heading", name="Cổng thanh toán thử nghiệm (sandbox)")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"Thanh toán phí, lệ phí hồ sơ {code}")
    citizen.check("sandbox gateway")
    page.get_by_role("button", name="Thanh toán thành công").click()
    expect_message(page, "Thanh toán thành công 80.000 đồng")
    receipt = page.get_by_role("link", name=re.compile(r"^Biên lai số "))
    expect(receipt).to_be_visible()
    citizen.check("paid with receipt")
    text = pdf_text(page, receipt)
    assert code in text and "80.000" in text

    # --- intake at the provincial centre, completion at the department ---------------------
    desk = new_journey("desk")
    desk.login("desk.province")
    desk_page = open_at_desk(desk, code)
    expect(
        desk_page.get_by_role("table").filter(has_text="Xác nhận đã nộp phí, lệ phí")
    ).to_be_visible()
    act(desk_page, "Tiếp nhận hồ sơ")
    expect_message(desk_page, "Đã thực hiện “Tiếp nhận hồ sơ”")

    leader = new_journey("leader")
    leader.login("leader.tnmt")
    leader_page = open_at_desk(leader, code, tab="Đã tiếp nhận")  # routed on from the centre
    assign = leader_page.get_by_role("form", name="Phân công xử lý")
    assign.get_by_label("Chuyên viên xử lý").select_option(label="Võ Minh Tuấn")
    assign.get_by_role("button", name="Phân công").click()
    expect_message(leader_page, "Đã thực hiện “Phân công xử lý”")
    complete = leader_page.get_by_role("form", name="Có kết quả giải quyết")
    complete.get_by_label("Tóm tắt kết quả giải quyết").fill(
        "Đã đăng ký thế chấp quyền sử dụng đất."
    )
    complete.get_by_label("Tạo kết quả từ mẫu của thủ tục").check()
    complete.get_by_role("button", name="Hoàn thành, chuyển trả kết quả").click()
    expect_message(leader_page, "Đã thực hiện “Có kết quả giải quyết”")
    # The procedure's result must be signed: the post takes it once the leader has signed.
    leader_page.reload()
    act(leader_page, "Ký số kết quả", button="Ký số")
    expect_message(leader_page, "Đã thực hiện “Ký số kết quả”")

    # --- the post takes the result: the desk's hand-over list ------------------------------
    manifest_page = desk.goto("/desk/postal/manifest/")
    handover = manifest_page.get_by_role("table", name="Bưu gửi chuyển phát kết quả cần bàn giao")
    row = handover.get_by_role("row", name=re.compile(re.escape(code)))
    expect(row).to_contain_text("Đã tạo vận đơn")
    waybill = re.search(r"\b[A-Z]{2}\d{9,}[A-Z]{2}\b", row.inner_text()).group(0)
    desk.check("postal hand-over list")

    # --- the sandbox carrier delivers (an operator moves the parcel in the admin) ----------
    operator = new_journey("operator")
    operator.login("admin")
    admin_page = operator.goto(f"/admin/postal/shipment/?q={waybill}")
    parcel = admin_page.get_by_role("row", name=re.compile(re.escape(waybill)))
    parcel.get_by_role("checkbox").check()
    admin_page.get_by_label("Hoạt động").select_option(
        label="Bưu chính thử nghiệm: phát thành công"
    )
    admin_page.get_by_role("button", name="Đi đến").click()
    expect(admin_page.get_by_role("listitem").filter(has_text="Đã gửi")).to_be_visible()
    expect(admin_page.get_by_role("row", name=re.compile(re.escape(waybill)))).to_contain_text(
        "Đã phát thành công"
    )
    operator.check("sandbox parcel delivered")

    # --- the citizen sees the dossier returned by post ------------------------------------
    page = citizen.goto(f"/dossiers/{code}/")
    expect_status(page, "Đã trả kết quả")
    expect(page.get_by_role("term").filter(has_text="Ngày trả kết quả")).to_be_visible()
    citizen.check("returned by post")
    desk_page = open_at_desk(desk, code, tab="Đã trả")
    expect_status(desk_page, "Đã trả kết quả")
    expect(
        desk_page.get_by_role("row", name=re.compile("^.*Trả kết quả.*Bưu chính"))
    ).to_be_visible()
