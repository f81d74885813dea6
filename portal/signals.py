"""Signal receivers of the portal core (connected in ``PortalConfig.ready``)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from portal.models import Agency, CalendarDay, OfficeHours, StaffMembership, User
from portal.permissions import agencies_changed, memberships_changed
from portal.worktime import invalidate_calendar_cache


@receiver(post_save, sender=CalendarDay, dispatch_uid="worktime_calendarday_saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="worktime_calendarday_deleted")
@receiver(post_save, sender=OfficeHours, dispatch_uid="worktime_officehours_saved")
@receiver(post_delete, sender=OfficeHours, dispatch_uid="worktime_officehours_deleted")
def _working_calendar_changed(**kwargs) -> None:
    """An admin edited a holiday, a make-up day or the office hours: deadlines must see it."""
    invalidate_calendar_cache()


@receiver(post_save, sender=StaffMembership, dispatch_uid="grants_membership_saved")
@receiver(post_delete, sender=StaffMembership, dispatch_uid="grants_membership_deleted")
def _membership_changed(instance: StaffMembership, **kwargs) -> None:
    """A role given, taken or switched off: the user's cached grants are stale."""
    memberships_changed(instance.user_id)


@receiver(post_save, sender=Agency, dispatch_uid="grants_agency_saved")
@receiver(post_delete, sender=Agency, dispatch_uid="grants_agency_deleted")
def _agency_changed(created: bool = False, **kwargs) -> None:
    """An agency switched on or off (or deleted) changes its members' grants; a new agency has
    no members yet."""
    if not created:
        agencies_changed()


@receiver(post_save, sender=User, dispatch_uid="auth_user_saved")
@receiver(post_delete, sender=User, dispatch_uid="auth_user_deleted")
def _user_changed(instance: User, created: bool = False, **kwargs) -> None:
    """A user deactivated, made superuser, renamed, deleted: the copies of their row kept by
    token authentication (``portal.api.authentication``) are stale at the next request."""
    if not created:
        memberships_changed(instance.pk)


@receiver(post_save, sender=Token, dispatch_uid="auth_token_saved")
@receiver(post_delete, sender=Token, dispatch_uid="auth_token_deleted")
def _token_changed(instance: Token, **kwargs) -> None:
    """An API token issued, rotated or revoked: the old one is refused at the next request."""
    memberships_changed(instance.user_id)
