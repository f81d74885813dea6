import sys

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal import services
from portal.api.errors import api_not_found, api_server_error
from portal.forms import CitizenSignupForm
from portal.home import home_sections
from portal.security import error_response, failure_response


def home(request):
    return render(request, "portal/home.html", {"sections": home_sections(request)})


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = CitizenSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.register_citizen(
            username=data["username"],
            password=data["password1"],
            full_name=data["full_name"],
            phone=data["phone"],
            citizen_id=data["citizen_id"],
            email=data.get("email", ""),
            address=data.get("address", ""),
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Đăng ký tài khoản thành công."))
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return render(request, "404.html", status=404)


def server_error(request):
    # An outage of the database or of the storage is a 503 with its reason (portal/security.py).
    failure = failure_response(request, sys.exc_info()[1])
    if failure is not None:
        return failure
    if request.path.startswith("/api/"):
        return api_server_error(request)
    try:
        return render(request, "500.html", status=500)
    except Exception:
        return error_response(request, 500, _("Hệ thống đang gặp sự cố."), _("Lỗi hệ thống"))
