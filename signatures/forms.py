from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from signatures import pki
from signatures.errors import InvalidCertificate
from signatures.models import IntermediateCertificate, SigningCertificate, TrustAnchor
from signatures.providers import provider_choices
from signatures.verification import max_bytes

PEM_FILE_MAX_BYTES = 64 * 1024


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp PDF đã ký số"),
        help_text=_("Chọn tệp PDF cần kiểm tra chữ ký số."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_mb = max_bytes() // (1024 * 1024)
        self.fields["file"].help_text = _(
            "Chọn tệp PDF cần kiểm tra chữ ký số (tối đa %(limit)s MB)."
        ) % {"limit": limit_mb}


class CertificateAdminForm(forms.ModelForm):
    """Paste a PEM or upload a .pem/.cer/.crt file; the facts are parsed, never typed."""

    expects_ca: bool | None = None

    pem = forms.CharField(
        label=_("chứng thư (PEM)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 70}),
    )
    pem_file = forms.FileField(
        label=_("hoặc tải tệp chứng thư (.pem, .cer, .crt)"),
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("pem_file")
        if upload is not None:
            if upload.size > PEM_FILE_MAX_BYTES:
                raise forms.ValidationError(_("Tệp chứng thư quá lớn."))
            raw: bytes | str = upload.read()
        else:
            raw = (cleaned.get("pem") or "").strip()
        if not raw:
            raise forms.ValidationError(_("Hãy dán nội dung PEM hoặc tải tệp chứng thư."))
        try:
            info = pki.parse_certificate(raw)
        except InvalidCertificate as exc:
            raise forms.ValidationError(exc.message) from exc
        if self.expects_ca is True and not info.is_ca:
            raise forms.ValidationError(_("Chứng thư này không phải là chứng thư của một CA."))
        if self.expects_ca is False and info.is_ca:
            raise forms.ValidationError(
                _("Đây là chứng thư CA, không phải chứng thư ký số của cán bộ.")
            )
        duplicate = (
            self._meta.model.objects.filter(fingerprint=info.fingerprint_sha256)
            .exclude(pk=self.instance.pk)
            .exists()
        )
        if duplicate:
            raise forms.ValidationError(_("Chứng thư này đã có trong danh sách."))
        cleaned["pem"] = info.pem
        self.certificate_info = info
        return cleaned

    def save(self, commit=True):
        self.instance.apply_info(self.certificate_info)
        return super().save(commit=commit)


class TrustAnchorAdminForm(CertificateAdminForm):
    expects_ca = True

    class Meta:
        model = TrustAnchor
        fields = ["name", "pem", "pem_file", "note", "is_active"]


class IntermediateAdminForm(CertificateAdminForm):
    expects_ca = True

    class Meta:
        model = IntermediateCertificate
        fields = ["pem", "pem_file", "is_active"]


class SigningCertificateAdminForm(CertificateAdminForm):
    expects_ca = False
    provider = forms.ChoiceField(label=_("nhà cung cấp ký số"), choices=provider_choices)

    class Meta:
        model = SigningCertificate
        fields = [
            "user",
            "title",
            "agency",
            "provider",
            "key_reference",
            "pem",
            "pem_file",
            "is_active",
        ]
