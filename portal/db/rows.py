"""Writing new rows in one plain ``INSERT``, for the hot paths that create many (a filing writes
its dossier, its files and its history row for every request).

``insert_new`` does for new instances of a plain model what ``Model.save(force_insert=True)``
and ``bulk_create`` do — defaults already set by the constructor, ``pre_save`` (``auto_now_add``),
the fields' conversions to database values, the primary key back from ``RETURNING`` — without
the generic machinery around them, which cost as much CPU as the database work itself (half of
it for a dossier, its two files and its history row: docs/performance.md). Values of the common
types go straight to the driver when the field would leave them unchanged (a ``str`` for a
``CharField``, an ``int`` for an integer field or a foreign key, an aware ``datetime``…); every
other value takes the field's own ``get_db_prep_save``. ``signals=True`` sends ``pre_save`` and
``post_save`` as ``save()`` would; ``bulk_create`` sends none, and neither does the default.

Not for: models with parents (multi-table inheritance), database defaults or generated
columns, instances already saved. Those raise ``TypeError``. On another database than
PostgreSQL (the embedded SQLite mode) it calls ``save(force_insert=True)`` or ``bulk_create``.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections, models, router
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_save, pre_save

#: Field classes whose database value is the Python value itself when it has this exact type.
_PASSTHROUGH: tuple[tuple[type[models.Field], tuple[type, ...]], ...] = (
    (models.BooleanField, (bool,)),
    (models.CharField, (str,)),
    (models.TextField, (str,)),
    (models.IntegerField, (int,)),
    (AutoFieldMixin, (int,)),
)


@dataclass(frozen=True)
class _Plan:
    #: Per column: the field, the exact Python types sent as they are (empty: always the field's
    #: conversion), and whether an aware ``datetime`` is sent as it is.
    columns: tuple[tuple[models.Field, tuple[type, ...], bool], ...]
    prefix: str
    returning: str


def insert_new(
    objs: Sequence[models.Model],
    *,
    signals: bool = False,
    along_with: tuple[str, Sequence] | None = None,
) -> None:
    """INSERT these new instances of one model in one statement; their primary keys are set
    (from ``RETURNING`` unless every instance already carries its own). ``along_with``: an
    ``UPDATE``/``INSERT``/``DELETE`` (SQL, parameters) run by the same statement as a
    data-modifying ``WITH`` — one round trip for both (the embedded mode runs it after)."""
    if not objs:
        return
    model = type(objs[0])
    if any(type(obj) is not model or not obj._state.adding for obj in objs):
        raise TypeError("insert_new takes new instances of one model")
    using = router.db_for_write(model, instance=objs[0])
    connection = connections[using]
    if connection.vendor != "postgresql":  # the embedded mode: Django's own paths
        _insert_with_django(model, objs, signals=signals, using=using)
        if along_with is not None:
            with connection.cursor() as cursor:
                cursor.execute(*along_with)
        return
    with_pk = objs[0].pk is not None
    if any((obj.pk is not None) != with_pk for obj in objs):
        raise TypeError("insert_new takes instances that all have, or all lack, a primary key")
    plan = _plan(model, with_pk, using)
    for obj in objs:  # as save() does: ids of related objects saved since they were assigned
        obj._prepare_related_fields_for_save(operation_name="insert_new")
    if signals:
        for obj in objs:
            pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    params: list = list(along_with[1]) if along_with is not None else []
    for obj in objs:
        for field, types, aware in plan.columns:
            value = getattr(obj, field.attname)
            unchanged = (types or aware) and (
                value is None
                or type(value) in types
                or (aware and type(value) is datetime.datetime and value.tzinfo is not None)
            )
            if not unchanged:
                value = field.get_db_prep_save(field.pre_save(obj, True), connection)
            params.append(value)
    row = "(" + ", ".join(["%s"] * len(plan.columns)) + ")"
    sql = plan.prefix + ", ".join([row] * len(objs)) + plan.returning
    if along_with is not None:
        sql = f"WITH along_with AS ({along_with[0]}) {sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not with_pk:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    if signals:
        for obj in objs:
            post_save.send(
                sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
            )


def _insert_with_django(model, objs, *, signals: bool, using: str) -> None:
    if signals:
        for obj in objs:
            obj.save(force_insert=True, using=using)
    else:
        model._base_manager.using(using).bulk_create(objs)


@functools.cache
def _plan(model: type[models.Model], with_pk: bool, using: str) -> _Plan:
    meta = model._meta
    if meta.parents:
        raise TypeError(f"{meta.label} has parent models: use save()")
    connection = connections[using]
    fields = []
    for field in meta.concrete_fields:
        if field.primary_key and not with_pk:
            continue
        if field.db_default is not models.NOT_PROVIDED or field.generated:
            raise TypeError(f"{meta.label}.{field.name} is set by the database: use save()")
        fields.append(field)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    return _Plan(
        columns=tuple((f, _passthrough_types(f), _takes_aware_datetime(f)) for f in fields),
        # Names from the model, quoted; every value is a parameter.
        prefix=f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ",  # noqa: S608
        returning="" if with_pk else f" RETURNING {quote(meta.pk.column)}",
    )


def _keeps_value(field: models.Field) -> bool:
    """``pre_save`` returns the attribute as it is (no ``auto_now``, no file to commit)."""
    return type(field).pre_save is models.Field.pre_save


def _passthrough_types(field: models.Field) -> tuple[type, ...]:
    if not _keeps_value(field) or (field.is_relation and not field.many_to_one):
        return ()
    target = field.target_field if field.is_relation else field
    for field_class, types in _PASSTHROUGH:
        if isinstance(target, field_class) and not isinstance(target, models.JSONField):
            return types
    return ()


def _takes_aware_datetime(field: models.Field) -> bool:
    """An aware ``datetime`` is PostgreSQL's value of a ``DateTimeField`` (no conversion)."""
    return isinstance(field, models.DateTimeField) and _keeps_value(field)
