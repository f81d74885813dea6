"""The public catalog: accent-insensitive search, facets with counts, the full record."""

import re
import unicodedata

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from portal.models import UnitLevel
from procedures import services
from procedures.models import RequiredDocument, VersionState
from tests.factories import AgencyFactory, UserFactory
from tests.procedures.factories import SectorFactory, VersionFactory

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return re.findall(r'<a href="/procedures/[^/]+/">([^<]+)</a>', response.content.decode())


@pytest.fixture
def civil():
    return SectorFactory(code="HT", name="Hộ tịch")


@pytest.fixture
def birth(civil):
    return VersionFactory(
        procedure__code="1.001193",
        local_code="1.001193.000.00.00.H36",
        name="Đăng ký khai sinh",
        sectors=[civil],
        full=True,
        keywords="giấy khai sinh",
    )


@pytest.mark.parametrize(
    "query",
    [
        "dang ky khai sinh",
        "ĐĂNG KÝ KHAI SINH",
        "Đăng ký khai sinh",
        unicodedata.normalize("NFD", "đăng ký khai sinh"),
        "khai   SINH",
        "1.001193",
        "1.001193.000.00.00.H36",
    ],
)
def test_search_is_accent_case_and_code_insensitive(client, birth, civil, query):
    VersionFactory(name="Đăng ký kết hôn", sectors=[civil])
    response = client.get("/procedures/", {"q": query})
    assert response.status_code == 200
    assert names(response) == ["Đăng ký khai sinh"]


def test_every_word_must_match_and_sector_names_are_searched(client, birth, civil):
    VersionFactory(name="Cấp giấy phép xây dựng", sectors=[SectorFactory(name="Xây dựng")])
    assert names(client.get("/procedures/", {"q": "khai sinh xay dung"})) == []
    assert names(client.get("/procedures/", {"q": "ho tich"})) == ["Đăng ký khai sinh"]


def test_drafts_and_withdrawn_versions_are_not_listed(client, civil):
    VersionFactory(name="Bản nháp bí mật", draft=True, sectors=[civil])
    VersionFactory(name="Đã bãi bỏ", state=VersionState.WITHDRAWN, sectors=[civil])
    VersionFactory(name="Đang công bố", sectors=[civil])
    assert names(client.get("/procedures/")) == ["Đang công bố"]


def test_facets_are_links_with_counts_and_levels_are_counted(client, civil):
    land = SectorFactory(code="DD", name="Đất đai")
    agency = AgencyFactory(code="H36.01", name="Sở Tài nguyên và Môi trường")
    for _ in range(3):
        VersionFactory(sectors=[civil], gov_level=UnitLevel.COMMUNE)
    for _ in range(2):
        VersionFactory(
            sectors=[land], gov_level=UnitLevel.PROVINCE, online=True, implementing_agency=agency
        )
    html = client.get("/procedures/").content.decode()
    assert re.search(r'href="\?sector=HT">Hộ tịch</a> <span class="count">\(3\)', html)
    assert re.search(r'href="\?sector=DD">Đất đai</a> <span class="count">\(2\)', html)
    assert re.search(r'href="\?service_level=3">[^<]+</a> <span class="count">\(2\)', html)
    assert re.search(
        r'href="\?agency=H36.01">Sở Tài nguyên và Môi trường</a> <span class="count">\(2\)', html
    )
    assert re.search(r'level-count">2</span> thủ tục Tỉnh', html)
    assert re.search(r'level-count">3</span> thủ tục Xã', html)

    filtered = client.get("/procedures/", {"sector": "DD"}).content.decode()
    assert "2 thủ tục" in filtered
    # Other facets are counted within the active filter; the active one can be cleared.
    assert re.search(
        r'href="\?gov_level=province&amp;sector=DD">[^<]+</a> <span class="count">\(2\)', filtered
    ) or re.search(
        r'href="\?sector=DD&amp;gov_level=province">[^<]+</a> <span class="count">\(2\)', filtered
    )
    assert re.search(r'<a href="\?" aria-current="true"[^>]*>Đất đai \(2\)', filtered)
    assert "gov_level=commune" not in filtered


def test_pagination_keeps_the_filters(client, civil):
    for _ in range(25):
        VersionFactory(sectors=[civil])
    first = client.get("/procedures/", {"sector": "HT"}).content.decode()
    assert "Trang 1 / 2" in first
    assert 'href="?sector=HT&amp;page=2"' in first
    second = client.get("/procedures/", {"sector": "HT", "page": 2})
    assert len(names(second)) == 5
    assert client.get("/procedures/", {"page": "abc"}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [{"service_level": "9"}, {"gov_level": "galaxy"}, {"q": "a\x00b"}, {"q": "x" * 201}],
)
def test_bad_filters_answer_400_with_a_message_not_500(client, birth, params):
    response = client.get("/procedures/", params)
    assert response.status_code == 400
    assert "Điều kiện tìm kiếm không hợp lệ" in response.content.decode()
    assert names(response) == []


def test_unknown_codes_give_an_empty_result(client, birth):
    response = client.get("/procedures/", {"sector": "NOPE", "agency": "X.1"})
    assert response.status_code == 200
    assert names(response) == []


def test_detail_shows_the_full_record(client, civil):
    version = VersionFactory(
        procedure__code="1.001193",
        name="Đăng ký khai sinh",
        sectors=[civil],
        full=True,
        applicants="Cha, mẹ của trẻ",
        result_name="Giấy khai sinh",
        legal_basis=[
            {
                "number": "60/2014/QH13",
                "title": "Luật Hộ tịch",
                "issued_on": "2014-11-20",
                "effective_on": "2016-01-01",
                "issuer": "Quốc hội",
            }
        ],
        documents=[("to-khai", "Tờ khai đăng ký khai sinh"), ("chung-sinh", "Giấy chứng sinh")],
    )
    RequiredDocument.objects.filter(version=version, code="chung-sinh").update(
        case="Trẻ sinh tại cơ sở y tế", certified_copies=2
    )
    default_storage.save("procedures/forms/to-khai.pdf", ContentFile(b"%PDF-1.4 form"))
    RequiredDocument.objects.filter(version=version, code="to-khai").update(
        form_template="procedures/forms/to-khai.pdf"
    )
    html = client.get("/procedures/1.001193/").content.decode()
    for expected in (
        "Đăng ký khai sinh",
        "Hộ tịch",
        "Cha, mẹ của trẻ",
        "Giấy khai sinh",
        "60/2014/QH13",
        "20/11/2014",
        "Mức độ 4",
        "Dịch vụ công trực tuyến toàn trình",
        "Trẻ sinh tại cơ sở y tế",
        "Giấy chứng sinh",
        "50.000 đồng",
        "5 ngày làm việc",
        'href="/dossiers/new/1.001193/"',
        "Nộp hồ sơ trực tuyến",
        'href="/procedures/1.001193/forms/to-khai/"',
    ):
        assert expected in html, expected
    download = client.get("/procedures/1.001193/forms/to-khai/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 form"
    assert download["Content-Disposition"].startswith("attachment")
    assert client.get("/procedures/1.001193/forms/chung-sinh/").status_code == 404
    assert client.get("/procedures/1.001193/forms/nope/").status_code == 404
    assert client.get("/procedures/1.001193/result-template/").status_code == 404


def test_no_filing_button_below_level_3(client, civil):
    VersionFactory(procedure__code="2.000815", sectors=[civil], service_level=2)
    html = client.get("/procedures/2.000815/").content.decode()
    assert "/dossiers/new/" not in html
    assert "Mức độ 2" in html and "Cung cấp thông tin" in html


def test_unknown_draft_and_withdrawn_procedures(client, civil):
    assert client.get("/procedures/NOPE/").status_code == 404
    VersionFactory(procedure__code="9.1", draft=True, sectors=[civil])
    assert client.get("/procedures/9.1/").status_code == 404
    version = VersionFactory(procedure__code="9.2", sectors=[civil])
    services.withdraw(version.procedure)
    response = client.get("/procedures/9.2/")
    assert response.status_code == 410
    assert "Thủ tục đã bãi bỏ" in response.content.decode()


def test_anonymous_pages_are_cached_with_a_fresh_csrf_token_each(
    birth, django_assert_num_queries, django_capture_on_commit_callbacks
):
    first, second = Client(), Client()
    page = first.get("/procedures/", {"q": "khai sinh"})
    with django_assert_num_queries(0):
        cached = second.get("/procedures/", {"q": "khai sinh"})
    assert cached.status_code == 200
    assert names(cached) == ["Đăng ký khai sinh"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', cached.content.decode())[1]
    assert "PLACEHOLDER" not in cached.content.decode()
    assert (
        token != re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    )
    # The cached page's token is valid for its own visitor: the language switch works.
    second.enforce_csrf_checks = True
    switch = Client(enforce_csrf_checks=True)
    switch.cookies = second.cookies
    assert (
        switch.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": token}).status_code
        == 302
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(birth.procedure)
    assert names(Client().get("/procedures/", {"q": "khai sinh"})) == []


def test_signed_in_users_are_not_served_the_anonymous_cache(client, birth):
    Client().get("/procedures/")
    user = UserFactory(full_name="Nguyễn Văn Bình")
    client.force_login(user)
    assert "Nguyễn Văn Bình" in client.get("/procedures/").content.decode()


def test_the_per_process_layer_is_invalidated_at_once_here_and_soon_elsewhere(
    settings, birth, django_capture_on_commit_callbacks
):
    import time

    from django.core.cache import cache

    from procedures.cache import GENERATION_KEY, forget_local

    settings.CATALOG_LOCAL_CACHE_SECONDS = 0.3
    forget_local()
    try:
        assert names(Client().get("/procedures/", {"q": "khai sinh"})) == ["Đăng ký khai sinh"]
        # A publish in this process is visible at once.
        with django_capture_on_commit_callbacks(execute=True):
            services.withdraw(birth.procedure)
        assert names(Client().get("/procedures/", {"q": "khai sinh"})) == []
        # Another process's publish (a bump of the shared generation) within the interval.
        VersionFactory(name="Đăng ký khai sinh lưu động", sectors=birth.sectors.all())
        cache.incr(GENERATION_KEY)
        time.sleep(0.35)
        assert names(Client().get("/procedures/", {"q": "khai sinh"})) == [
            "Đăng ký khai sinh lưu động"
        ]
    finally:
        forget_local()
