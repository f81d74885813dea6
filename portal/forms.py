import unicodedata

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from portal.models import User, citizen_id_validator, phone_validator


class CitizenSignupForm(UserCreationForm):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=200)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    phone = forms.CharField(label=_("Số điện thoại"), max_length=15, validators=[phone_validator])
    citizen_id = forms.CharField(
        label=_("Số CCCD"), max_length=12, validators=[citizen_id_validator]
    )
    address = forms.CharField(label=_("Địa chỉ"), max_length=500, required=False)

    class Meta:
        model = User
        fields = ("username", "full_name", "email")

    def clean_full_name(self) -> str:
        return unicodedata.normalize("NFC", self.cleaned_data["full_name"]).strip()

    def clean_address(self) -> str:
        return unicodedata.normalize("NFC", self.cleaned_data.get("address", "")).strip()
