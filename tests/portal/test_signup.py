import pytest

from portal.models import CitizenProfile, User

pytestmark = pytest.mark.django_db

VALID = {
    "username": "nguyenvana",
    "full_name": "Nguyễn Văn A",
    "email": "a@example.vn",
    "phone": "0912345678",
    "citizen_id": "068190001234",
    "address": "Phường 1, Đà Lạt",
    "password1": "Mat-khau-rat-manh-2026",
    "password2": "Mat-khau-rat-manh-2026",
}


def test_signup_creates_user_and_profile_and_logs_in(client):
    response = client.post("/accounts/signup/", VALID, follow=True)
    assert response.status_code == 200
    user = User.objects.get(username="nguyenvana")
    assert user.full_name == "Nguyễn Văn A"
    assert user.citizen_profile.citizen_id == "068190001234"
    assert response.context["user"] == user


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("citizen_id", "12345", "12 chữ số"),
        ("phone", "12ab", "Số điện thoại không hợp lệ"),
    ],
)
def test_invalid_identity_is_refused_in_vietnamese_and_nothing_is_written(
    client, field, value, message
):
    response = client.post("/accounts/signup/", {**VALID, field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.exists()
    assert not CitizenProfile.objects.exists()


def test_decomposed_names_are_stored_in_nfc(client):
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn A")
    client.post("/accounts/signup/", {**VALID, "full_name": decomposed})
    assert User.objects.get().full_name == unicodedata.normalize("NFC", "Nguyễn Văn A")
