"""A birth registration from the citizen's filing to the signed result, through every person
who handles it: the commune desk receives it and asks for a supplement, the citizen adds the
paper, the desk forwards the dossier to the provincial department (Sở TNMT, H36.01), its leader
assigns the specialist, the specialist reviews it and submits it for approval, the leader
completes it, the result travels back to the commune desk (routing), the leader signs it there
with the demo certificate, the desk returns it, the citizen downloads the signed result, reads
its verification on the dossier page, checks it on /verify/ and rates the service."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import expect_error_on_field, write_pdf
from tests.e2e.steps import (
    BIRTH_CERTIFICATE,
    act,
    expect_message,
    expect_status,
    file_birth_registration,
    open_at_desk,
)

TNMT = "Sở Tài nguyên và Môi trường"
SPECIALIST = "Võ Minh Tuấn"  # officer.tnmt
LEADER = "Đặng Văn Khoa"  # leader.tnmt


def test_desk_supplement_forward_processing_return_and_rating(new_journey, demo_data, tmp_path):
    citizen = new_journey("citizen")
    citizen.login("citizen1")
    code = file_birth_registration(citizen, tmp_path)
    page = citizen.page

    # --- the commune desk: intake, then a supplement request --------------------------------
    desk = new_journey("desk")
    desk.login("desk.xuantruong")
    desk_page = desk.goto("/desk/")
    queue = desk_page.get_by_role("table", name=re.compile("^Chờ tiếp nhận"))
    expect(queue.get_by_role("row", name=re.compile(re.escape(code)))).to_contain_text(
        "Nguyễn Thị Hồng Nhung"
    )
    desk.check("queue awaiting intake")
    desk_page = open_at_desk(desk, code)
    desk.check("new dossier")
    act(desk_page, "Tiếp nhận hồ sơ")
    expect_message(desk_page, "Đã thực hiện “Tiếp nhận hồ sơ”")
    expect_status(desk_page, "Được tiếp nhận")

    # A blank reason (spaces get past the browser's check) is refused, the error read with it.
    supplement = desk_page.get_by_role("form", name="Yêu cầu bổ sung hồ sơ")
    supplement.get_by_label(BIRTH_CERTIFICATE).check()
    supplement.get_by_label("Lý do, hướng dẫn bổ sung").fill("   ")
    supplement.get_by_role("button", name="Yêu cầu bổ sung").click()
    supplement = desk_page.get_by_role("form", name="Yêu cầu bổ sung hồ sơ")
    expect_error_on_field(supplement, "Lý do, hướng dẫn bổ sung", "bắt buộc")
    desk.check("supplement request without a reason")
    supplement.get_by_label(BIRTH_CERTIFICATE).check()
    supplement.get_by_label("Lý do, hướng dẫn bổ sung").fill(
        "Giấy chứng sinh bị mờ, vui lòng tải lên bản chụp rõ nét."
    )
    supplement.get_by_role("button", name="Yêu cầu bổ sung").click()
    expect_message(desk_page, "Đã thực hiện “Yêu cầu bổ sung hồ sơ”")
    expect_status(desk_page, "Yêu cầu bổ sung giấy tờ")
    desk.check("supplement requested")

    # --- the citizen adds the paper ----------------------------------------------------------
    page.reload()
    request = page.get_by_role("region", name="Cơ quan yêu cầu bổ sung hồ sơ")
    expect(request).to_contain_text("Giấy chứng sinh bị mờ")
    expect(page.get_by_role("link", name="Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")).to_be_visible()
    citizen.check("supplement requested")
    upload = page.get_by_role("region", name="Nộp giấy tờ bổ sung")
    upload.get_by_label(BIRTH_CERTIFICATE).set_input_files(
        write_pdf(tmp_path / "giay-chung-sinh-ro.pdf", "Giấy chứng sinh (bản rõ)")
    )
    upload.get_by_label("Ghi chú").fill("Đã chụp lại giấy chứng sinh.")
    upload.get_by_role("button", name="Gửi bổ sung").click()
    expect_message(page, "Đã gửi giấy tờ bổ sung")
    expect_status(page, "Đang xử lý")
    files = page.get_by_role("table", name="Danh sách tệp đính kèm của hồ sơ")
    expect(files).to_contain_text("giay-chung-sinh-ro.pdf")
    citizen.check("supplement sent")

    # --- the desk forwards it to the provincial department ----------------------------------
    desk_page.reload()
    forward = desk_page.get_by_role("form", name="Chuyển xử lý")
    if not forward.count():
        pytest.skip("The processing page offers no “Chuyển xử lý” (routing forward) action.")
    forward.get_by_label("Cơ quan nhận").select_option(label=f"{TNMT} (H36.01)")
    forward.get_by_label("Ghi chú").fill("Chuyển Sở Tài nguyên và Môi trường xử lý.")
    desk.check("forward form")
    forward.get_by_role("button", name="Chuyển xử lý").click()
    expect_message(desk_page, "Đã thực hiện “Chuyển xử lý”")
    desk.check("forwarded")

    # --- the department: the leader assigns, the specialist reviews, the leader completes ---
    leader = new_journey("leader")
    leader.login("leader.tnmt")
    leader_page = open_at_desk(leader, code, tab="Đang xử lý")
    expect(leader_page.get_by_role("definition").filter(has_text=TNMT).first).to_be_visible()
    leader.check("forwarded dossier arrives")
    assign = leader_page.get_by_role("form", name="Phân công xử lý")
    assign.get_by_label("Chuyên viên xử lý").select_option(label=SPECIALIST)
    assign.get_by_role("button", name="Phân công").click()
    expect_message(leader_page, "Đã thực hiện “Phân công xử lý”")

    officer = new_journey("specialist")
    officer.login("officer.tnmt")
    officer_page = officer.goto("/desk/")
    officer_page.get_by_role("link", name=re.compile("^Đang xử lý")).click()
    row = officer_page.get_by_role("row", name=re.compile(re.escape(code)))
    expect(row).to_contain_text(SPECIALIST)
    officer.check("assigned queue")
    row.get_by_role("link", name=code).click()
    with officer_page.expect_download() as download:
        officer_page.get_by_role("link", name="giay-chung-sinh-ro.pdf").click()
    assert download.value.suggested_filename == "giay-chung-sinh-ro.pdf"
    actions = officer_page.get_by_role("region", name="Thao tác")
    expect(actions.get_by_role("form", name="Yêu cầu bổ sung hồ sơ")).to_be_visible()
    expect(actions.get_by_role("form", name="Có kết quả giải quyết")).to_have_count(0)
    officer.check("specialist reviews")
    act(
        officer_page,
        "Trình lãnh đạo phê duyệt",
        button="Trình lãnh đạo",
        **{
            "Nội dung đề xuất, dự thảo kết quả": (
                "Hồ sơ đầy đủ, hợp lệ; đề nghị cấp Giấy khai sinh cho cháu Nguyễn Minh An."
            )
        },
    )
    expect_message(officer_page, "Đã thực hiện “Trình lãnh đạo phê duyệt”")
    officer.check("submitted for approval")

    leader_page.reload()
    expect(
        leader_page.get_by_role("region", name="Chuyên viên đã trình lãnh đạo phê duyệt")
    ).to_be_visible()
    complete = leader_page.get_by_role("form", name="Có kết quả giải quyết")
    complete.get_by_label("Tóm tắt kết quả giải quyết").fill(
        "Đăng ký khai sinh cho cháu Nguyễn Minh An; cấp Giấy khai sinh bản chính."
    )
    complete.get_by_label("Tạo kết quả từ mẫu của thủ tục").check()
    leader.check("complete form")
    complete.get_by_role("button", name="Hoàn thành, chuyển trả kết quả").click()
    expect_message(leader_page, "Đã thực hiện “Có kết quả giải quyết”")
    sign_result(leader, code)

    # --- back at the commune desk: return -------------------------------------------------
    desk_page = open_at_desk(desk, code, tab="Chờ trả kết quả")
    expect_status(desk_page, "Đã xử lý xong")
    expect(
        desk_page.get_by_role("definition").filter(has_text="Lãnh đạo đã ký lúc")
    ).to_be_visible()
    desk.check("result ready")
    act(desk_page, "Trả kết quả")
    expect_message(desk_page, "Đã thực hiện “Trả kết quả”")
    expect_status(desk_page, "Đã trả kết quả")

    # --- the citizen: result, verification, rating -----------------------------------------
    page.reload()
    expect_status(page, "Đã trả kết quả")
    result_link = page.get_by_role("link", name=f"ket-qua-{code}.pdf")
    expect(result_link).to_be_visible()
    citizen.check("result returned")
    with page.expect_download() as download:
        result_link.click()
    result = tmp_path / "ket-qua.pdf"
    download.value.save_as(result)
    text = PdfReader(io.BytesIO(result.read_bytes())).pages[0].extract_text()
    assert code in text and "Nguyễn Minh An" in text

    page.get_by_role("link", name="Xác thực văn bản ký số").click()
    page.get_by_label("Tệp PDF đã ký số").set_input_files(result)
    page.get_by_role("button", name="Kiểm tra chữ ký").click()
    verdict = page.get_by_role("region", name="Kết quả kiểm tra")
    expect(verdict).to_contain_text(LEADER)
    expect(verdict).to_contain_text("Hợp lệ")
    citizen.check("verify result")

    page = citizen.goto(f"/dossiers/{code}/")
    stored = page.get_by_role("region", name="Xác thực chữ ký số của kết quả")
    expect(stored.get_by_role("row", name=re.compile(LEADER))).to_contain_text("Hợp lệ")
    rating = page.get_by_role("region", name="Đánh giá mức độ hài lòng")
    rating.get_by_label("Rất hài lòng").check()
    rating.get_by_label("Góp ý").fill("Cán bộ hướng dẫn bổ sung rõ ràng, nhận kết quả đúng hẹn.")
    rating.get_by_role("button", name="Gửi đánh giá").click()
    given = page.get_by_role("region", name="Đánh giá của bạn")
    expect(given).to_contain_text("Rất hài lòng")
    citizen.check("rated")

    # Every step of the history speaks Vietnamese to the citizen, hand-overs included.
    timeline = citizen.goto(f"/dossiers/{code}/").get_by_role("region", name="Quá trình giải quyết")
    expect(timeline).to_contain_text("Chuyển xử lý")
    expect(timeline, "an internal action name is shown to the citizen").not_to_contain_text(
        "handover"
    )


def sign_result(leader, code: str) -> None:
    """The deciding agency's leader signs the result on the processing page, after it has
    travelled back to the commune desk (the sign form names the leader's signature)."""
    page = open_at_desk(leader, code, tab="Chờ trả kết quả")
    act(page, "Ký số kết quả", button="Ký số")
    expect_message(page, "Đã thực hiện “Ký số kết quả”")
    expect(page.get_by_role("table", name="Danh sách tệp đính kèm của hồ sơ")).to_contain_text(
        "bản đã ký số"
    )
    leader.check("signed")
