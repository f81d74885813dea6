from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal.api.serializers import (
    AdministrativeUnitSerializer,
    AgencySerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from portal.filters import AdministrativeUnitFilter, AgencyFilter
from portal.models import AdministrativeUnit, Agency
from portal.security import lockout_response


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (rotated on every call)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # django-axes marks the request it refused: say "locked", not "wrong password".
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request)
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        with transaction.atomic():
            Token.objects.filter(user=user).delete()
            token = Token.objects.create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)


class AdministrativeUnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AdministrativeUnitSerializer
    filterset_class = AdministrativeUnitFilter
    lookup_field = "code"
    permission_classes = [AllowAny]

    def get_queryset(self):
        return (
            AdministrativeUnit.objects.visible_to(self.request.user)
            .select_related("parent")
            .order_by("code")
        )


class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AgencySerializer
    filterset_class = AgencyFilter
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9.\-]+"
    permission_classes = [AllowAny]

    def get_queryset(self):
        return (
            Agency.objects.visible_to(self.request.user)
            .filter(is_active=True)
            .select_related("unit", "parent")
            .order_by("code")
        )
