"""Folding rules of the accent-insensitive search, and its index on PostgreSQL."""

import unicodedata

import pytest
from django.db import connection

from procedures.search import build_search_text, fold, search_words


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đăng ký khai sinh", "dang ky khai sinh"),
        ("ĐĂNG KÝ KHAI SINH", "dang ky khai sinh"),
        (unicodedata.normalize("NFD", "Đăng ký khai sinh"), "dang ky khai sinh"),
        (
            "Cấp Giấy chứng nhận quyền sử dụng đất (GCN)",
            "cap giay chung nhan quyen su dung dat gcn",
        ),
        ("Thủ tục: ưu đãi, ơn; Ượng", "thu tuc uu dai on uong"),
        ("1.001193.000.00.00.H36", "1.001193.000.00.00.h36"),
        ("  a_b\tc\n", "a b c"),
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_query_words_are_distinct_trimmed_and_capped():
    assert search_words("Sinh. sinh, 1.001193 -") == ["sinh", "1.001193"]
    assert len(search_words(" ".join(f"w{i}" for i in range(50)))) == 12


def test_search_text_holds_codes_name_keywords_and_sectors():
    text = build_search_text(
        code="1.001193",
        local_code="1.001193.000.00.00.H36",
        name="Đăng ký khai sinh",
        keywords="giấy khai sinh",
        sector_names=["Hộ tịch"],
    )
    assert text == "1.001193 1.001193.000.00.00.h36 dang ky khai sinh giay khai sinh ho tich"


@pytest.mark.django_db
def test_postgresql_has_a_trigram_index_on_search_text():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'procedures_procedureversion' "
            "AND indexname = 'procedures_version_search_trgm'"
        )
        (definition,) = cursor.fetchone()
    assert "gin" in definition.lower() and "gin_trgm_ops" in definition
