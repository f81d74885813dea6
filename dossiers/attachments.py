"""Attachments: validated by content, size-limited, stored privately, recorded with SHA-256.

Files go through ``storages["private"]`` (Django's storage API, so an S3-compatible backend
plugs in) under a random name; the citizen's file name is kept, sanitised, for display only.
``AttachmentWriter`` remembers what it wrote so a failed transaction deletes its files:
services wrap their transaction in ``with AttachmentWriter() as writer:``.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import mimetypes
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import magic
from django.conf import settings
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.errors import TooLarge, ValidationError
from dossiers.models import Attachment, AttachmentKind, Dossier
from portal.db.rows import insert_new

SNIFF_BYTES = 8192
_UNSAFE_NAME = re.compile(r"[^\w.\- ()\[\]]+", re.UNICODE)


def max_file_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def max_dossier_bytes() -> int:
    return int(getattr(settings, "DOSSIER_ATTACHMENTS_MAX_BYTES", 50 * 1024 * 1024))


def private_storage():
    return storages["private"]


def sanitize_filename(name: str | None) -> str:
    """A display name without directories, control characters or shell-unfriendly symbols."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_NAME.sub("_", name).strip(" ._")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:150]
    return name or "tep-dinh-kem"


def sniff_mime(upload) -> str:
    """The MIME type of the content (libmagic), whatever the name or the declared type say."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return magic.from_buffer(head, mime=True) if head else "application/x-empty"


def file_size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    return int(size)


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@dataclass
class CheckedFile:
    """An upload that passed the checks, ready to be stored."""

    upload: object
    field: str
    document_code: str
    document_name: str
    document_id: int | None
    original_name: str
    content_type: str
    size: int
    sha256: str


def single_upload(payload, name: str):
    """The one file posted under ``name`` (the first when a form or client sent a list)."""
    upload = payload.get(name)
    if isinstance(upload, list | tuple):
        upload = upload[0] if upload else None
    return upload


def checked_pdf(content: bytes, name: str, *, field: str) -> CheckedFile:
    """PDF bytes made by the portal (a generated or a signed result) checked like an upload."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return check_file(upload, field=field, accepted=["application/pdf"])


def check_file(
    upload, *, field: str, accepted: Iterable[str], document=None, document_code: str = ""
) -> CheckedFile:
    """Size and content-type checks of one upload (TooLarge / ValidationError)."""
    size = file_size(upload)
    original_name = sanitize_filename(getattr(upload, "name", ""))
    if size > max_file_bytes():
        raise TooLarge(
            _("Tệp “%(name)s” vượt quá dung lượng tối đa %(limit)s MB.")
            % {"name": original_name, "limit": max_file_bytes() // (1024 * 1024)}
        )
    if size == 0:
        raise ValidationError({field: [_("Tệp “%(name)s” rỗng.") % {"name": original_name}]})
    accepted = [a.strip().lower() for a in accepted if a and a.strip()]
    content_type = sniff_mime(upload)
    if accepted and content_type.lower() not in accepted:
        raise ValidationError(
            {
                field: [
                    _(
                        "Tệp “%(name)s” không đúng định dạng cho phép (%(accepted)s); "
                        "nội dung tệp là %(actual)s."
                    )
                    % {
                        "name": original_name,
                        "accepted": ", ".join(_describe(a) for a in accepted),
                        "actual": _describe(content_type),
                    }
                ]
            }
        )
    return CheckedFile(
        upload=upload,
        field=field,
        document_code=document.code if document is not None else document_code,
        document_name=document.name if document is not None else "",
        document_id=document.pk if document is not None else None,
        original_name=original_name,
        content_type=content_type,
        size=size,
        sha256=sha256_of(upload),
    )


def _describe(mime: str) -> str:
    known = {
        "application/pdf": "PDF",
        "image/jpeg": "JPEG",
        "image/png": "PNG",
        "application/x-dosexec": _("tệp chương trình (.exe)"),
    }
    return known.get(mime, mime)


def check_total(checked: list[CheckedFile], dossier: Dossier | None = None) -> None:
    """The dossier's files together stay under DOSSIER_ATTACHMENTS_MAX_BYTES."""
    already = 0
    if dossier is not None and dossier.pk:
        already = dossier.attachments.aggregate(total=Sum("size"))["total"] or 0
    unique = {(c.document_code, c.sha256): c.size for c in checked}
    if already + sum(unique.values()) > max_dossier_bytes():
        raise TooLarge(
            _("Tổng dung lượng tệp của hồ sơ vượt quá %(limit)s MB.")
            % {"limit": max_dossier_bytes() // (1024 * 1024)}
        )


class AttachmentWriter:
    """Stores files and deletes them again if the surrounding block fails.

    Use it around the ``transaction.atomic`` block that records the rows. If the block is itself
    inside an outer transaction that later rolls back, the files stay behind unreferenced; the
    periodic ``purge_orphan_files`` task removes such orphans.
    """

    def __init__(self) -> None:
        self.written: list[str] = []

    def __enter__(self) -> AttachmentWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.discard()
        return False

    def discard(self) -> None:
        storage = private_storage()
        for name in self.written:
            with contextlib.suppress(OSError):  # best effort; the orphan purge retries
                storage.delete(name)
        self.written.clear()

    def write(self, checked: CheckedFile) -> str:
        ext = mimetypes.guess_extension(checked.content_type) or ""
        ext = ".jpg" if ext in {".jpe", ".jpeg"} else ext
        # One directory per day: a province's month of filings (hundreds of thousands of files)
        # in one directory slowed every file creation and the orphan purge's listing.
        now = timezone.localtime()
        name = f"dossiers/{now:%Y/%m/%d}/{uuid.uuid4().hex}{ext}"
        checked.upload.seek(0)
        try:
            stored = private_storage().save(name, checked.upload)
        except OSError:
            # A failed write (disk full) can leave a partial file under the name: remove it.
            with contextlib.suppress(OSError):
                private_storage().delete(name)
            raise
        self.written.append(stored)
        return stored

    def store(
        self, dossier: Dossier, checked: CheckedFile, *, kind: str, user=None
    ) -> tuple[Attachment, bool]:
        """The attachment row for ``checked`` (an existing one when the same content was already
        stored for the same paper of the same dossier); True when newly stored."""
        existing = Attachment.objects.filter(
            dossier=dossier, document_code=checked.document_code, sha256=checked.sha256
        ).first()
        if existing is not None:
            return existing, False
        storage_name = self.write(checked)
        try:
            with transaction.atomic():
                attachment = Attachment.objects.create(
                    dossier=dossier,
                    kind=kind,
                    document_id=checked.document_id,
                    document_code=checked.document_code,
                    document_name=checked.document_name,
                    original_name=checked.original_name,
                    storage_name=storage_name,
                    content_type=checked.content_type,
                    size=checked.size,
                    sha256=checked.sha256,
                    uploaded_by=user if getattr(user, "is_authenticated", False) else None,
                )
        except IntegrityError:
            # A concurrent upload of the same content won the race: keep its copy.
            private_storage().delete(storage_name)
            self.written.remove(storage_name)
            return (
                Attachment.objects.get(
                    dossier=dossier,
                    document_code=checked.document_code,
                    sha256=checked.sha256,
                ),
                False,
            )
        return attachment, True


@dataclass
class StagedFile:
    """A checked upload already written to storage, waiting for its row."""

    checked: CheckedFile
    storage_name: str


def stage_all(writer: AttachmentWriter, checked: list[CheckedFile]) -> list[StagedFile]:
    """Write the files of a new dossier *before* its transaction opens (one copy per paper and
    content), so no row lock is held during storage I/O. ``writer`` deletes them again if the
    transaction that follows fails."""
    unique: dict[tuple[str, str], CheckedFile] = {}
    for item in checked:
        unique.setdefault((item.document_code, item.sha256), item)
    return [StagedFile(item, writer.write(item)) for item in unique.values()]


def create_rows(
    dossier: Dossier, staged: list[StagedFile], *, kind: str, user=None
) -> list[Attachment]:
    """The attachment rows of a dossier created in this transaction, in one INSERT (a new
    dossier has no earlier copy to reuse; ``portal.db.rows.insert_new``)."""
    uploaded_by = user if getattr(user, "is_authenticated", False) else None
    rows = [
        Attachment(
            dossier=dossier,
            kind=kind,
            document_id=item.checked.document_id,
            document_code=item.checked.document_code,
            document_name=item.checked.document_name,
            original_name=item.checked.original_name,
            storage_name=item.storage_name,
            content_type=item.checked.content_type,
            size=item.checked.size,
            sha256=item.checked.sha256,
            uploaded_by=uploaded_by,
        )
        for item in staged
    ]
    insert_new(rows)
    return rows


def files_by_field(files: Mapping | None) -> dict[str, list]:
    """Normalise ``{code: file | [files]}`` or a Django ``MultiValueDict`` of ``doc_<code>``
    fields to ``{code: [files]}``."""
    result: dict[str, list] = {}
    if not files:
        return result
    keys = list(files.keys())
    for key in keys:
        if hasattr(files, "getlist"):
            values = files.getlist(key)
        else:
            value = files[key]
            values = list(value) if isinstance(value, list | tuple) else [value]
        code = key[4:] if key.startswith("doc_") else key
        result.setdefault(code, []).extend(v for v in values if v is not None)
    return result


def check_documents(version, files: Mapping | None, *, require: bool = True) -> list[CheckedFile]:
    """Check the uploads of a filing or supplement against the version's required documents:
    one field error per missing required paper, unknown fields refused."""
    documents = {doc.code: doc for doc in version.documents.all()}
    grouped = files_by_field(files)
    errors: dict[str, list[str]] = {}
    for code in grouped:
        if code not in documents:
            errors[f"doc_{code}"] = [_("Giấy tờ không có trong thành phần hồ sơ của thủ tục.")]
    if require:
        for code, doc in documents.items():
            if doc.required and not grouped.get(code):
                errors[f"doc_{code}"] = [
                    _("Thiếu giấy tờ bắt buộc: %(name)s.") % {"name": doc.name}
                ]
    if errors:
        raise ValidationError(errors)
    checked: list[CheckedFile] = []
    for code, uploads in grouped.items():
        doc = documents[code]
        for upload in uploads:
            checked.append(
                check_file(
                    upload, field=f"doc_{code}", accepted=doc.accepted_mime_types, document=doc
                )
            )
    return checked


def store_all(
    writer: AttachmentWriter,
    dossier: Dossier,
    checked: list[CheckedFile],
    *,
    kind: str = AttachmentKind.FILING,
    user=None,
) -> list[Attachment]:
    stored: dict[int, Attachment] = {}
    for item in checked:
        attachment, _created = writer.store(dossier, item, kind=kind, user=user)
        stored[attachment.pk] = attachment
    return list(stored.values())


def purge_orphan_files(older_than: datetime.timedelta, root: str = "dossiers") -> int:
    """Delete stored files that no attachment row references (left by a transaction rolled
    back outside the service) once they are older than ``older_than``. Returns the count."""
    storage = private_storage()
    cutoff = timezone.now() - older_than
    removed = 0

    def walk(path: str) -> None:
        nonlocal removed
        if not storage.exists(path):
            return
        directories, files = storage.listdir(path)
        names = [f"{path}/{name}" for name in files]
        known = set(
            Attachment.objects.filter(storage_name__in=names).values_list("storage_name", flat=True)
        )
        for name in names:
            if name in known:
                continue
            try:
                modified = storage.get_modified_time(name)
            except (NotImplementedError, OSError):
                continue
            if modified < cutoff:
                storage.delete(name)
                removed += 1
        for directory in directories:
            walk(f"{path}/{directory}")

    walk(root)
    return removed


def open_attachment(attachment: Attachment):
    """A readable file object of the stored content (for the download view)."""
    return private_storage().open(attachment.storage_name, "rb")
