"""One line of figures (the whole period, a month, an agency, a level …) and its indicators.

Column meanings follow the usual report of one-stop results: *total to resolve* = carried over
from before the period + received in it (at the desk, online, by post); *resolved* = returned
to the applicant, early / on time / late by date; *in process* = the total minus the resolved
and the withdrawn-after-intake, i.e. the stock at the end of the period; *overdue* = of those,
past their appointment (from the stock snapshot; None when no snapshot covers the period).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dossiers.models import RatingScore
from dossiers.models_stats import COUNTERS

US_PER_DAY = 86_400 * 1_000_000


def share(part: int, whole: int) -> float | None:
    """``part / whole`` as a percentage with one decimal, None when ``whole`` is 0."""
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Figures:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    carried_over: int = 0
    overdue: int | None = None

    def add(self, row: Mapping) -> Figures:
        for name in COUNTERS:
            self.counts[name] += int(row.get(name) or 0)
        return self

    def __getattr__(self, name: str):
        counts = self.__dict__.get("counts")
        if counts is not None and name in counts:
            return counts[name]
        raise AttributeError(name)

    @property
    def net(self) -> int:
        """Change of the stock in process during the period."""
        c = self.counts
        return c["received"] - c["resolved"] - c["withdrawn_received"]

    @property
    def total(self) -> int:
        return self.carried_over + self.counts["received"]

    @property
    def in_process(self) -> int:
        return self.carried_over + self.net

    @property
    def early_or_on_time(self) -> int:
        return self.counts["resolved_early"] + self.counts["resolved_on_time"]

    @property
    def on_time_share(self) -> float | None:
        return share(self.early_or_on_time, self.counts["resolved"])

    @property
    def online_share(self) -> float | None:
        return share(self.counts["received_online"], self.counts["received"])

    @property
    def electronic_share(self) -> float | None:
        return share(self.counts["resolved_electronic"], self.counts["resolved"])

    @property
    def payment_share(self) -> float | None:
        return share(self.counts["resolved_paid_online"], self.counts["resolved_with_fee"])

    @property
    def average_days(self) -> float | None:
        resolved = self.counts["resolved"]
        if not resolved:
            return None
        return round(self.counts["processing_us"] / resolved / US_PER_DAY, 1)

    @property
    def ratings(self) -> int:
        return sum(self.counts[f"rating_{score}"] for score in range(1, 6))

    @property
    def average_rating(self) -> float | None:
        ratings = self.ratings
        if not ratings:
            return None
        total = sum(score * self.counts[f"rating_{score}"] for score in range(1, 6))
        return round(total / ratings, 2)

    @property
    def satisfied_share(self) -> float | None:
        return share(self.counts["rating_4"] + self.counts["rating_5"], self.ratings)

    def satisfaction(self) -> list[dict]:
        ratings = self.ratings
        return [
            {
                "score": score.value,
                "label": str(score.label),
                "count": self.counts[f"rating_{score.value}"],
                "share": share(self.counts[f"rating_{score.value}"], ratings),
            }
            for score in sorted(RatingScore, key=lambda s: -s.value)
        ]

    def as_dict(self) -> dict:
        c = self.counts
        return {
            "total": self.total,
            "carried_over": self.carried_over,
            "received": c["received"],
            "received_direct": c["received_direct"],
            "received_online": c["received_online"],
            "received_postal": c["received_postal"],
            "resolved": c["resolved"],
            "resolved_early": c["resolved_early"],
            "resolved_on_time": c["resolved_on_time"],
            "resolved_late": c["resolved_late"],
            "in_process": self.in_process,
            "overdue": self.overdue,
            "completed": c["completed"],
            "withdrawn": c["withdrawn"],
            "refused": c["refused"],
            "resolved_electronic": c["resolved_electronic"],
            "resolved_with_fee": c["resolved_with_fee"],
            "resolved_paid_online": c["resolved_paid_online"],
            "on_time_share": self.on_time_share,
            "online_share": self.online_share,
            "electronic_share": self.electronic_share,
            "online_payment_share": self.payment_share,
            "average_processing_days": self.average_days,
            "ratings": self.ratings,
            "average_rating": self.average_rating,
        }


@dataclass
class Row:
    """A labelled line of a breakdown (an agency, a level, a month …)."""

    key: str
    label: str
    figures: Figures
    code: str = ""
