"""Pre-aggregated statistics of dossiers (issue 10; the design is in ``dossiers/statistics``).

Imported at the bottom of ``dossiers/models.py`` (one line) so the models belong to the
``dossiers`` app. Pages and the API read only these tables, never the dossiers themselves.

* Flows (``DailyStats``, ``MonthlyStats``, ``ProcedureMonthlyStats``): counters of what happened
  on a day / in a month — received (by channel), refused, withdrawn, result ready, returned
  early / on time / late, with an electronic result, with fees and paid online, processing
  time, ratings per score. Every dossier counts under its *receiving agency* and the gov level
  and service level of the procedure version it was filed under; a flow falls on the local date
  of the dossier's own timestamp (``received_at``, ``closed_at``, ``completed_at``,
  ``returned_at``, the rating's ``created_at``).
* Stocks (``StockSnapshot``): dossiers in process and overdue at the end of a day.
* Steps (``StepDailyStats``): processing steps finished per day by an agency and a person, and
  how many of them after the step's deadline.
* ``StatsLedger``: the events and ratings already counted (exactly-once increments).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Agency

__all__ = [
    "COUNTERS",
    "DailyStats",
    "MonthlyStats",
    "ProcedureMonthlyStats",
    "StatsLedger",
    "StepDailyStats",
    "StockSnapshot",
    "StockSnapshotDay",
]

#: Every flow counter, in the order of the columns.
COUNTERS: tuple[str, ...] = (
    "received",
    "received_direct",
    "received_online",
    "received_postal",
    "refused",
    "withdrawn",
    "withdrawn_received",
    "completed",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "resolved_electronic",
    "resolved_with_fee",
    "resolved_paid_online",
    "processing_us",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
)


def _count(verbose: str) -> models.BigIntegerField:
    return models.BigIntegerField(verbose, default=0, db_default=0)


class Counters(models.Model):
    """The flow counters shared by the daily, monthly and per-procedure tables."""

    received = _count(_("tiếp nhận"))
    received_direct = _count(_("tiếp nhận trực tiếp"))
    received_online = _count(_("tiếp nhận trực tuyến"))
    received_postal = _count(_("tiếp nhận qua bưu chính"))
    refused = _count(_("từ chối tiếp nhận"))
    withdrawn = _count(_("rút hồ sơ"))
    #: Withdrawn after intake: leaves the stock of dossiers in process.
    withdrawn_received = _count(_("rút sau khi tiếp nhận"))
    completed = _count(_("có kết quả"))
    #: Returned to the applicant (status 10): "đã giải quyết", early / on time / late by date.
    resolved = _count(_("đã giải quyết"))
    resolved_early = _count(_("trước hạn"))
    resolved_on_time = _count(_("đúng hạn"))
    resolved_late = _count(_("trễ hạn"))
    resolved_electronic = _count(_("có kết quả điện tử"))
    resolved_with_fee = _count(_("có phí, lệ phí"))
    resolved_paid_online = _count(_("thanh toán trực tuyến"))
    #: Sum over resolved dossiers of (result ready − intake), in microseconds.
    processing_us = _count(_("tổng thời gian giải quyết (µs)"))
    rating_1 = _count(_("rất không hài lòng"))
    rating_2 = _count(_("không hài lòng"))
    rating_3 = _count(_("bình thường"))
    rating_4 = _count(_("hài lòng"))
    rating_5 = _count(_("rất hài lòng"))

    class Meta:
        abstract = True


class DailyStats(Counters):
    day = models.DateField(_("ngày"))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    gov_level = models.CharField(_("cấp thực hiện"), max_length=16)
    service_level = models.PositiveSmallIntegerField(_("mức độ"))

    class Meta:
        verbose_name = _("thống kê ngày")
        verbose_name_plural = _("thống kê ngày")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "gov_level", "service_level"], name="stats_day_key"
            )
        ]


class MonthlyStats(Counters):
    """The daily rows summed per month (``month`` is the first day): what pages read."""

    month = models.DateField(_("tháng"))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    gov_level = models.CharField(_("cấp thực hiện"), max_length=16)
    service_level = models.PositiveSmallIntegerField(_("mức độ"))

    class Meta:
        verbose_name = _("thống kê tháng")
        verbose_name_plural = _("thống kê tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency", "gov_level", "service_level"], name="stats_month_key"
            )
        ]


class ProcedureMonthlyStats(Counters):
    """Per procedure and month (average processing time per procedure, online take-up)."""

    month = models.DateField(_("tháng"))
    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    gov_level = models.CharField(_("cấp thực hiện"), max_length=16)
    service_level = models.PositiveSmallIntegerField(_("mức độ"))

    class Meta:
        verbose_name = _("thống kê thủ tục theo tháng")
        verbose_name_plural = _("thống kê thủ tục theo tháng")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "procedure", "agency", "gov_level", "service_level"],
                name="stats_procedure_month_key",
            )
        ]


class StockSnapshotDay(models.Model):
    """A day whose stock was taken (its rows may be none at all: nothing was in process)."""

    day = models.DateField(_("ngày"), unique=True)
    taken_at = models.DateTimeField(_("thời điểm chốt số liệu"))

    class Meta:
        verbose_name = _("ngày chốt số liệu tồn")
        verbose_name_plural = _("ngày chốt số liệu tồn")


class StockSnapshot(models.Model):
    """Dossiers in process and overdue at the end of ``day`` (for today: at ``taken_at``)."""

    day = models.DateField(_("ngày"))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    gov_level = models.CharField(_("cấp thực hiện"), max_length=16)
    service_level = models.PositiveSmallIntegerField(_("mức độ"))
    in_process = models.BigIntegerField(_("đang giải quyết"), default=0)
    overdue = models.BigIntegerField(_("quá hạn"), default=0)

    class Meta:
        verbose_name = _("số liệu tồn")
        verbose_name_plural = _("số liệu tồn")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "gov_level", "service_level"], name="stats_stock_key"
            )
        ]


class StepDailyStats(models.Model):
    """Processing steps finished on ``day`` while held by ``agency`` and ``person``."""

    day = models.DateField(_("ngày"))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: ``person_id`` or 0: a NULL would defeat the unique key the increments rely on.
    person_key = models.BigIntegerField(default=0)
    steps = models.BigIntegerField(_("số bước"), default=0, db_default=0)
    late = models.BigIntegerField(_("số bước trễ hạn"), default=0, db_default=0)
    late_us = models.BigIntegerField(_("tổng thời gian trễ (µs)"), default=0, db_default=0)

    class Meta:
        verbose_name = _("thống kê bước xử lý")
        verbose_name_plural = _("thống kê bước xử lý")
        constraints = [
            models.UniqueConstraint(fields=["day", "agency", "person_key"], name="stats_step_key")
        ]
        indexes = [models.Index(fields=["agency", "day"], name="stats_step_agency")]


class StatsLedger(models.Model):
    """One row per history event (``e``) or rating (``r``) already counted; pruned after
    ``STATS_LEDGER_DAYS``."""

    kind = models.CharField(max_length=1)
    ref = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="stats_ledger_key")]
        indexes = [models.Index(fields=["at"], name="stats_ledger_at")]


def _install_listeners() -> None:
    # The listeners live in dossiers/statistics (imported lazily: that package imports this
    # module's models). Loading the models is what every process does, so web, workers and
    # management commands all count transitions.
    from dossiers.statistics import aggregation

    aggregation.install()


_install_listeners()
