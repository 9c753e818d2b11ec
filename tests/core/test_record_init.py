"""Constructing records from keywords: the short way of ``BasicRecord.__init__``
builds what Django's ``Model.__init__`` builds, with the same checks."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.db.models.signals import post_init, pre_init

# the models are imported once the instance fixture has set up Django


def registries() -> list[type]:
    from lamindb_core.models.registry import Registry

    return [m for m in apps.get_models() if isinstance(m, Registry)]


def basic_init(record: models.Model, **kwargs) -> None:
    """``BasicRecord.__init__``, below a registry's own ``__init__``."""
    from lamindb_core.models.record import BasicRecord

    BasicRecord.__init__(record, **kwargs)


def both_ways(model: type, **kwargs) -> tuple[models.Model, models.Model]:
    """A record built by ``BasicRecord.__init__`` and one built by Django's ``Model.__init__``."""
    ours = model.__new__(model)
    basic_init(ours, **kwargs)
    django = model.__new__(model)
    models.Model.__init__(django, **dict(kwargs))
    return ours, django


def state(record: models.Model) -> dict:
    values = {k: v for k, v in record.__dict__.items() if k != "_state"}
    return {
        "values": values,
        "order": list(record.__dict__),
        "adding": record._state.adding,
        "db": record._state.db,
        "cached": dict(record._state.fields_cache),
    }


def fixed_defaults(model: type) -> dict:
    """Values for the fields whose default differs at every call (uids, times)."""
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if f.has_default() and callable(f.default) and f.name not in ("run", "created_by")
    }


def test_record_init_without_keywords_is_djangos_for_every_registry(instance):
    models_ = registries()
    assert len(models_) > 30
    for model in models_:
        ours, django = both_ways(model, **fixed_defaults(model))
        assert state(ours) == state(django), model.__name__


def test_record_init_related_record_and_id_are_djangos(instance):
    ln = instance
    user = ln.User.get(id=ln.ULabel(name="x").created_by_id)
    space = ln.Space.get(id=1)
    for kwargs in (
        {"name": "a", "created_by": user},
        {"name": "a", "created_by_id": user.id},
        {"name": "a", "space": space, "created_by": user, "run": None},
        {"name": "a", "run_id": None, "description": None},
    ):
        ours, django = both_ways(ln.ULabel, uid="abcdefgh", **kwargs)
        assert state(ours) == state(django), kwargs
    label = ln.ULabel(name="a", created_by=user)
    assert label.created_by is user  # cached, no query
    assert label.created_by_id == user.id
    assert label._state.db == "default"  # as Django's descriptor sets it
    label = ln.ULabel(name="b", created_by_id=user.id)
    assert label._state.db is None and label._state.adding
    assert label.created_by == user  # fetched


def test_record_init_defaults_are_called_for_each_record(instance):
    ln = instance
    uids = [ln.ULabel(name=f"n{i}").uid for i in range(2000)]
    assert len(set(uids)) == len(uids)
    assert all(len(uid) == 8 for uid in uids)
    assert ln.ULabel(name="a").run_id is None
    ln.track("pd7UR7Z8hoTq0000")
    first, second = ln.ULabel(name="a"), ln.ULabel(name="b")
    assert first.run_id == second.run_id == ln.context.run.id is not None


def test_record_init_given_value_skips_the_default(instance, monkeypatch):
    ln = instance
    ln.ULabel(name="a")  # the registry's construction plan exists
    calls = []
    field = ln.ULabel._meta.get_field("uid")

    def counted() -> str:
        calls.append(1)
        return "countedX"

    monkeypatch.setattr(field, "default", counted)
    monkeypatch.setattr(ln.ULabel, "_init_plan_cache", None)  # worked out again, restored after
    assert ln.ULabel(name="a", uid="givenuid").uid == "givenuid"
    assert calls == []
    assert ln.ULabel(name="a").uid == "countedX"
    assert ln.ULabel(name="b").uid == "countedX"
    assert len(calls) == 2


def test_record_init_signals_are_sent(instance):
    ln = instance
    seen = []

    def before(sender, args, kwargs, **_):
        seen.append(("pre", sender, dict(kwargs)))

    def after(sender, instance, **_):
        seen.append(("post", sender, instance.name))

    pre_init.connect(before, sender=ln.ULabel)
    post_init.connect(after, sender=ln.ULabel)
    try:
        ln.ULabel(name="signalled")
    finally:
        pre_init.disconnect(before, sender=ln.ULabel)
        post_init.disconnect(after, sender=ln.ULabel)
    assert seen == [("pre", ln.ULabel, {"name": "signalled"}), ("post", ln.ULabel, "signalled")]


def test_record_init_checks_stay(instance, labels):
    ln = instance
    with pytest.raises(ln.errors.FieldValidationError, match="Storage has no field 'rooot'"):
        ln.Storage(rooot="/tmp/x")
    with pytest.raises(ln.errors.ValidationError, match=r"ULabel.name: 'a\\x00' contains a NUL"):
        ln.ULabel(name="a\x00")
    with pytest.raises(ln.errors.ValidationError, match="ULabel.name takes at most 150 characters"):
        ln.ULabel(name="x" * 151)
    with pytest.raises(ln.errors.ValidationError, match="ULabel.created_by expects a User record"):
        ln.ULabel(name="x", created_by=labels[0])
    with pytest.raises(ln.errors.ValidationError, match="`uid` must be exactly 8 characters long, got 3"):
        ln.ULabel(name="x", uid="abc")
    with pytest.raises(ln.errors.FieldValidationError, match="record.parents.add"):
        basic_init(ln.ULabel.__new__(ln.ULabel), name="x", parents=[])


def test_record_init_deferred_and_database_rows_are_djangos(instance, labels):
    ln = instance
    label = ln.ULabel.objects.only("name").get(id=labels[0].id)
    assert label.get_deferred_fields() >= {"uid", "description"}
    assert not label._state.adding and label._state.db == "default"
    assert label.uid == labels[0].uid  # loaded on access
    full = ln.ULabel.get(id=labels[0].id)
    assert not full._state.adding and full.get_deferred_fields() == set()
    assert (full.name, full.uid, full.created_by_id) == (labels[0].name, labels[0].uid, labels[0].created_by_id)
    # a deferred keyword takes Django's own way: the field stays deferred; a typed field refuses it
    record = ln.ULabel.__new__(ln.ULabel)
    basic_init(record, name="x", created_by_id=models.DEFERRED)
    assert "created_by_id" in record.get_deferred_fields()
    with pytest.raises(ln.errors.ValidationError, match="ULabel.description expects str"):
        basic_init(ln.ULabel.__new__(ln.ULabel), name="x", description=models.DEFERRED)
