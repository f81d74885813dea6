"""The catalog's home page section: most-used procedures and figures per level."""

import pytest

from portal.models import UnitLevel
from procedures.models import Procedure
from tests.procedures.factories import VersionFactory

pytestmark = pytest.mark.django_db


def test_home_lists_the_most_used_procedures_and_the_figures(client):
    popular = VersionFactory(name="Đăng ký khai sinh", full=True)
    Procedure.objects.filter(pk=popular.procedure_id).update(filing_count=900)
    second = VersionFactory(name="Chứng thực bản sao")
    Procedure.objects.filter(pk=second.procedure_id).update(filing_count=300)
    for n in range(9):
        VersionFactory(name=f"Ít dùng {n}", gov_level=UnitLevel.PROVINCE, online=n < 4)
    VersionFactory(name="Bản nháp được dùng nhiều", draft=True)

    html = client.get("/").content.decode()
    section = html[html.index("Thủ tục được sử dụng nhiều nhất") :]
    assert (
        section.index("Đăng ký khai sinh")
        < section.index("Chứng thực bản sao")
        < section.index("Ít dùng 0")
    )
    assert "Ít dùng 6" not in section.split("</ol>")[0]  # 8 items only
    assert "Bản nháp" not in html
    assert 'href="/procedures/?gov_level=province">' in html
    table = section[section.index("catalog-figures") :]
    assert '<td class="num">9</td><td class="num">4</td><td class="num">0</td>' in table
    assert '<td class="num">11</td><td class="num">4</td><td class="num">1</td>' in table


def test_home_without_a_catalog_has_no_catalog_section(client):
    assert "Thủ tục được sử dụng nhiều nhất" not in client.get("/").content.decode()
