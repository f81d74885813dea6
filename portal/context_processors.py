from django.conf import settings

from portal.permissions import grants_for


def site(request) -> dict:
    grants = grants_for(getattr(request, "user", None))
    return {
        "SITE_NAME": settings.SITE_NAME,
        "is_staff_member": grants.is_staff_member,
    }
