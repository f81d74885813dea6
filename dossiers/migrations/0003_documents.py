# Official documents (dossiers/models_documents.py): editable templates of the forms, generated
# PDFs (immutable: model guard plus a PostgreSQL trigger) and the record of failing renders.
# Written by hand from `makemigrations dossiers -n documents` output so that it holds only the
# documents' models (the routing models of the same app come in their own migration).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FORM_KEYS = [
    ("receipt", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    ("supplement_request", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    ("refusal", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
    ("apology", "Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    ("process_control", "Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    ("ledger", "Sổ theo dõi hồ sơ"),
    ("result", "Kết quả giải quyết thủ tục hành chính"),
]

CREATE_TRIGGER = """
CREATE OR REPLACE FUNCTION dossiers_generated_document_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'dossiers_generateddocument is immutable (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS dossiers_generated_document_immutable ON dossiers_generateddocument;
CREATE TRIGGER dossiers_generated_document_immutable
    BEFORE UPDATE OR DELETE ON dossiers_generateddocument
    FOR EACH ROW EXECUTE FUNCTION dossiers_generated_document_immutable();
"""

DROP_TRIGGER = """
DROP TRIGGER IF EXISTS dossiers_generated_document_immutable ON dossiers_generateddocument;
DROP FUNCTION IF EXISTS dossiers_generated_document_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_TRIGGER, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0002_event_append_only_trigger"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentTemplate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "form_key",
                    models.CharField(
                        choices=FORM_KEYS, max_length=32, verbose_name="loại biểu mẫu"
                    ),
                ),
                ("version", models.PositiveIntegerField(default=1, verbose_name="phiên bản")),
                (
                    "number_label",
                    models.CharField(
                        help_text="Ví dụ: “Mẫu số 01”. Số hiệu là dữ liệu: quy định năm 2025 đã đánh số lại.",
                        max_length=50,
                        verbose_name="số hiệu mẫu",
                    ),
                ),
                ("title", models.CharField(max_length=255, verbose_name="tên biểu mẫu")),
                (
                    "body",
                    models.TextField(
                        help_text="Cú pháp mẫu Django; dữ liệu được tự động thoát ký tự HTML.",
                        verbose_name="nội dung mẫu",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="đang dùng")),
                (
                    "note",
                    models.CharField(blank=True, max_length=255, verbose_name="ghi chú thay đổi"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="ngày tạo")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="người tạo",
                    ),
                ),
            ],
            options={
                "verbose_name": "mẫu văn bản",
                "verbose_name_plural": "mẫu văn bản (Mẫu 01–06, kết quả)",
                "ordering": ["form_key", "-version"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("form_key", "version"), name="unique_document_template_version"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("is_active", True)),
                        fields=("form_key",),
                        name="one_active_document_template",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="GeneratedDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(choices=FORM_KEYS, max_length=32, verbose_name="loại văn bản"),
                ),
                ("number_label", models.CharField(max_length=50, verbose_name="số hiệu mẫu")),
                ("title", models.CharField(max_length=255, verbose_name="tên văn bản")),
                ("storage_name", models.CharField(max_length=255, unique=True)),
                ("size", models.PositiveBigIntegerField()),
                ("sha256", models.CharField(max_length=64)),
                ("pages", models.PositiveIntegerField(default=1)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="ngày tạo")),
                (
                    "dossier",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="generated_documents",
                        to="dossiers.dossier",
                    ),
                ),
                (
                    "source_event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="generated_documents",
                        to="dossiers.dossierevent",
                        verbose_name="sự kiện nguồn",
                    ),
                ),
                (
                    "template",
                    models.ForeignKey(
                        blank=True,
                        help_text="Trống: mẫu mặc định trong mã nguồn.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="documents",
                        to="dossiers.documenttemplate",
                        verbose_name="mẫu",
                    ),
                ),
            ],
            options={
                "verbose_name": "văn bản đã tạo",
                "verbose_name_plural": "văn bản đã tạo",
                "ordering": ["created_at", "id"],
                "indexes": [models.Index(fields=["dossier", "kind"], name="generated_doc_kind")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("dossier", "kind", "source_event"), name="unique_document_per_event"
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DocumentFailure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(choices=FORM_KEYS, max_length=32)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "source_event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="dossiers.dossierevent",
                    ),
                ),
            ],
            options={
                "verbose_name": "lỗi tạo văn bản",
                "verbose_name_plural": "lỗi tạo văn bản",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("source_event", "kind"), name="unique_document_failure"
                    ),
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
