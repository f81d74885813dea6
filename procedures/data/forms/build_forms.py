"""Build the illustrative blank forms of the demo catalog (run by hand; the PDFs are committed).

    .venv/bin/python procedures/data/forms/build_forms.py

Each PDF is a simplified rendering of the form a procedure asks for, clearly marked as a demo
illustration: the official templates are those annexed to the legal documents cited in each
procedure (e.g. Thông tư 15/2015/TT-BTP for civil status).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent

FORMS: dict[str, tuple[str, str, list[str]]] = {
    "to-khai-dang-ky-khai-sinh": (
        "TỜ KHAI ĐĂNG KÝ KHAI SINH",
        "Ủy ban nhân dân xã/phường/thị trấn",
        [
            "Họ, chữ đệm, tên người yêu cầu",
            "Nơi cư trú",
            "Giấy tờ tùy thân (loại, số, nơi cấp, ngày cấp)",
            "Quan hệ với người được khai sinh",
            "Họ, chữ đệm, tên người được khai sinh",
            "Ngày, tháng, năm sinh (ghi bằng số và bằng chữ)",
            "Giới tính / Dân tộc / Quốc tịch",
            "Nơi sinh",
            "Quê quán",
            "Họ, chữ đệm, tên người mẹ; năm sinh; dân tộc; quốc tịch; nơi cư trú",
            "Họ, chữ đệm, tên người cha; năm sinh; dân tộc; quốc tịch; nơi cư trú",
        ],
    ),
    "to-khai-dang-ky-ket-hon": (
        "TỜ KHAI ĐĂNG KÝ KẾT HÔN",
        "Ủy ban nhân dân xã/phường/thị trấn",
        [
            "Họ, chữ đệm, tên (bên nữ / bên nam)",
            "Ngày, tháng, năm sinh",
            "Dân tộc / Quốc tịch",
            "Nơi cư trú",
            "Giấy tờ tùy thân",
            "Kết hôn lần thứ mấy",
        ],
    ),
    "to-khai-dang-ky-khai-tu": (
        "TỜ KHAI ĐĂNG KÝ KHAI TỬ",
        "Ủy ban nhân dân xã/phường/thị trấn",
        [
            "Họ, chữ đệm, tên người yêu cầu; nơi cư trú; giấy tờ tùy thân",
            "Quan hệ với người đã chết",
            "Họ, chữ đệm, tên người đã chết",
            "Ngày, tháng, năm sinh; giới tính; dân tộc; quốc tịch",
            "Nơi cư trú cuối cùng",
            "Đã chết vào lúc ... giờ ... phút, ngày ... tháng ... năm ...",
            "Nơi chết; nguyên nhân chết",
            "Giấy báo tử / giấy tờ thay thế giấy báo tử số, do ... cấp ngày ...",
        ],
    ),
    "to-khai-xac-nhan-tinh-trang-hon-nhan": (
        "TỜ KHAI CẤP GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
        "Ủy ban nhân dân xã/phường/thị trấn",
        [
            "Họ, chữ đệm, tên người yêu cầu; nơi cư trú; giấy tờ tùy thân",
            "Quan hệ với người được cấp Giấy xác nhận",
            "Họ, chữ đệm, tên người được cấp; ngày sinh; giới tính; dân tộc; quốc tịch",
            "Nơi cư trú (thời gian cư trú tại nơi đó)",
            "Tình trạng hôn nhân",
            "Mục đích sử dụng Giấy xác nhận",
        ],
    ),
    "to-khai-yeu-cau-cap-phieu-lltp": (
        "TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP",
        "Sở Tư pháp tỉnh Lâm Đồng",
        [
            "Họ và tên; giới tính; ngày, tháng, năm sinh; nơi sinh; quốc tịch",
            "Nơi thường trú; nơi tạm trú",
            "Giấy tờ tùy thân (loại, số, ngày cấp, nơi cấp)",
            "Họ tên cha, mẹ, vợ/chồng",
            "Quá trình cư trú, học tập, làm việc từ đủ 14 tuổi",
            "Loại phiếu yêu cầu (số 1 / số 2); số lượng phiếu",
            "Mục đích sử dụng phiếu",
        ],
    ),
    "don-de-nghi-cap-giay-phep-xay-dung": (
        "ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG (nhà ở riêng lẻ)",
        "Ủy ban nhân dân huyện/thành phố",
        [
            "Tên chủ đầu tư (chủ hộ); người đại diện; địa chỉ liên hệ; số điện thoại",
            "Địa điểm xây dựng: lô đất số, diện tích, tại số nhà, đường, phường/xã",
            "Nội dung đề nghị cấp phép: loại công trình, cấp công trình",
            "Diện tích xây dựng tầng 1; tổng diện tích sàn; chiều cao; số tầng",
            "Đơn vị hoặc người thiết kế; chứng chỉ hành nghề",
            "Dự kiến thời gian hoàn thành công trình",
            "Cam kết thực hiện đúng giấy phép được cấp",
        ],
    ),
    "don-dang-ky-bien-dong-dat-dai": (
        "ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI, TÀI SẢN GẮN LIỀN VỚI ĐẤT",
        "Văn phòng Đăng ký đất đai tỉnh Lâm Đồng",
        [
            "Người sử dụng đất, chủ sở hữu tài sản gắn liền với đất (tên, địa chỉ, giấy tờ)",
            "Giấy chứng nhận đã cấp: số vào sổ, số phát hành, ngày cấp",
            "Thửa đất số; tờ bản đồ số; địa chỉ thửa đất",
            "Nội dung biến động (trước và sau biến động)",
            "Lý do biến động",
            "Giấy tờ liên quan đến nội dung biến động nộp kèm theo",
        ],
    ),
    "don-de-nghi-cap-doi-giay-chung-nhan": (
        "ĐƠN ĐỀ NGHỊ CẤP ĐỔI, CẤP LẠI GIẤY CHỨNG NHẬN",
        "Văn phòng Đăng ký đất đai tỉnh Lâm Đồng",
        [
            "Người sử dụng đất, chủ sở hữu tài sản gắn liền với đất",
            "Giấy chứng nhận đã cấp đề nghị cấp đổi, cấp lại",
            "Lý do đề nghị cấp đổi, cấp lại",
            "Thông tin thửa đất có thay đổi do đo đạc lại (nếu có)",
            "Giấy tờ nộp kèm theo",
        ],
    ),
    "giay-de-nghi-dang-ky-ho-kinh-doanh": (
        "GIẤY ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH",
        "Phòng Tài chính - Kế hoạch huyện/thành phố",
        [
            "Tên hộ kinh doanh",
            "Địa điểm kinh doanh; điện thoại; email",
            "Ngành, nghề kinh doanh",
            "Vốn kinh doanh",
            "Số lượng lao động",
            "Chủ hộ kinh doanh: họ tên, ngày sinh, giấy tờ tùy thân, nơi cư trú",
        ],
    ),
    "to-khai-cap-ban-sao-trich-luc-ho-tich": (
        "TỜ KHAI CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH",
        "Ủy ban nhân dân xã/phường/thị trấn",
        [
            "Họ, chữ đệm, tên người yêu cầu; nơi cư trú; giấy tờ tùy thân",
            "Quan hệ với người được cấp bản sao trích lục hộ tịch",
            "Loại việc hộ tịch đã đăng ký; số, quyển số, ngày đăng ký",
            "Số lượng bản sao đề nghị cấp",
        ],
    ),
    "don-de-nghi-doi-giay-phep-lai-xe": (
        "ĐƠN ĐỀ NGHỊ ĐỔI, CẤP LẠI GIẤY PHÉP LÁI XE",
        "Sở Giao thông vận tải tỉnh Lâm Đồng",
        [
            "Họ và tên; ngày sinh; quốc tịch; nơi cư trú",
            "Giấy tờ tùy thân (số, ngày cấp, nơi cấp)",
            "Giấy phép lái xe đang có: số, hạng, cơ quan cấp, ngày cấp",
            "Lý do đề nghị đổi / cấp lại",
        ],
    ),
}

CSS = """
@page { size: A4; margin: 20mm 18mm; }
body { font-family: "DejaVu Serif", serif; font-size: 12.5pt; }
.nation { text-align: center; font-weight: bold; margin: 0; }
.motto { text-align: center; font-weight: bold; text-decoration: underline; margin: 0 0 18pt; }
h1 { text-align: center; font-size: 15pt; margin: 12pt 0; }
.to { text-align: center; font-style: italic; margin-bottom: 14pt; }
.field { margin: 9pt 0; }
.dots { border-bottom: 1px solid #999; height: 14pt; margin-top: 2pt; }
.sign { margin-top: 24pt; text-align: right; }
.demo { margin-top: 28pt; font-size: 9pt; color: #555; border-top: 1px solid #999; }
"""


def html_for(title: str, addressee: str, fields: list[str]) -> str:
    rows = "".join(
        f'<div class="field">{escape(field)}:<div class="dots"></div></div>' for field in fields
    )
    return (
        f"<html lang='vi'><head><meta charset='utf-8'><style>{CSS}</style></head><body>"
        "<p class='nation'>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</p>"
        "<p class='motto'>Độc lập - Tự do - Hạnh phúc</p>"
        f"<h1>{escape(title)}</h1><p class='to'>Kính gửi: {escape(addressee)}</p>{rows}"
        "<div class='field'>Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu "
        "trách nhiệm trước pháp luật về cam đoan của mình.</div>"
        "<p class='sign'>Làm tại ............, ngày ..... tháng ..... năm .........<br>"
        "<b>Người yêu cầu</b><br><i>(Ký, ghi rõ họ, chữ đệm, tên)</i></p>"
        "<p class='demo'>Mẫu minh hoạ của bản trình diễn Một Cửa. Mẫu chính thức là mẫu ban hành "
        "kèm theo văn bản quy phạm pháp luật nêu tại phần căn cứ pháp lý của thủ tục.</p>"
        "</body></html>"
    )


def main() -> None:
    import weasyprint

    for key, (title, addressee, fields) in FORMS.items():
        target = HERE / f"{key}.pdf"
        target.write_bytes(weasyprint.HTML(string=html_for(title, addressee, fields)).write_pdf())
        print(target.name, target.stat().st_size)


if __name__ == "__main__":
    main()
