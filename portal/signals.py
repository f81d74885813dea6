"""Signal receivers of the portal core (connected in ``PortalConfig.ready``)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.models import CalendarDay, OfficeHours
from portal.worktime import invalidate_calendar_cache


@receiver(post_save, sender=CalendarDay, dispatch_uid="worktime_calendarday_saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="worktime_calendarday_deleted")
@receiver(post_save, sender=OfficeHours, dispatch_uid="worktime_officehours_saved")
@receiver(post_delete, sender=OfficeHours, dispatch_uid="worktime_officehours_deleted")
def _working_calendar_changed(**kwargs) -> None:
    """An admin edited a holiday, a make-up day or the office hours: deadlines must see it."""
    invalidate_calendar_cache()
