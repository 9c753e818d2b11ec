"""At most one latest version per artifact: a partial unique index on the uid stem.

A version family is the 16-character stem of ``uid``. Databases written before
this index may hold families with several ``is_latest`` rows (concurrent saves,
trash and restore); the data step first leaves one in each: the newest (highest
id) that is not in the trash, or the newest if all are.
"""

import django.db.models.functions.text
from django.db import migrations, models


def keep_one_latest(apps, schema_editor):
    Artifact = apps.get_model("core", "Artifact")
    manager = Artifact._base_manager.using(schema_editor.connection.alias)
    families: dict[str, list[tuple[int, int]]] = {}
    for pk, uid, branch in manager.filter(is_latest=True).values_list("pk", "uid", "_branch_code").iterator():
        families.setdefault(uid[:16], []).append((pk, branch))
    stale = []
    for members in families.values():
        if len(members) > 1:
            keep = max(members, key=lambda m: (m[1] != -1, m[0]))[0]
            stale += [pk for pk, _ in members if pk != keep]
    for start in range(0, len(stale), 500):
        manager.filter(pk__in=stale[start : start + 500]).update(is_latest=False)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_text_index"),
    ]

    operations = [
        migrations.RunPython(keep_one_latest, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="artifact",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Substr("uid", 1, 16),
                condition=models.Q(("is_latest", True)),
                name="artifact_one_latest_version",
                violation_error_message="another version of this artifact is the latest",
            ),
        ),
    ]
