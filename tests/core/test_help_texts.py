"""Every field of this project's registries says what it holds (Django's ``help_text``).

The panel shows the texts as tooltips of its filter fields (``browsing.registry_info``), and
a new field without one fails here. That covers the link tables' fields too (``artifact``,
``feature``, ``label_ref_is_name``): what a link records is not always plain from its name.
Django's automatic through tables (``Artifact.input_of_runs``, ``ULabel.parents``) are left
out: their two foreign keys are generated, and users never see them.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models


@pytest.mark.parametrize("app", ["core", "bio"])
def test_help_texts_every_field_of_every_registry_and_link_table_has_one(instance, app):
    # get_models() leaves out the automatic through tables; get_fields() lists reverse
    # relations too, which are no fields of the registry (models.Field) and have no help text
    fields = [
        (model, field)
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.Field)
    ]
    assert len(fields) > 100
    missing = [f"{model.__name__}.{field.name}" for model, field in fields if not str(field.help_text).strip()]
    assert missing == []


def test_help_texts_are_sentences(instance):
    # they read as a tooltip: a capital letter (or a quoted value) first, a full stop last
    texts = {
        f"{model.__name__}.{field.name}": str(field.help_text)
        for app in ("core", "bio")
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.Field)
    }
    wrong = [name for name, text in texts.items() if not (text[:1].isupper() or text[:1] == "'") or not text.endswith(".")]
    assert wrong == []
