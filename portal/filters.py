import django_filters

from portal.models import AdministrativeUnit, Agency, AgencyKind, UnitLevel


class AdministrativeUnitFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=UnitLevel.choices)
    parent = django_filters.CharFilter(field_name="parent__code")
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100)

    class Meta:
        model = AdministrativeUnit
        fields = ["level", "parent", "q"]


class AgencyFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(field_name="unit__level", choices=UnitLevel.choices)
    kind = django_filters.ChoiceFilter(choices=AgencyKind.choices)
    parent = django_filters.CharFilter(field_name="parent__code", max_length=30)
    unit = django_filters.CharFilter(field_name="unit__code", max_length=20)
    receiving_desk = django_filters.BooleanFilter(field_name="is_receiving_desk")

    class Meta:
        model = Agency
        fields = ["level", "kind", "parent", "unit", "receiving_desk"]
