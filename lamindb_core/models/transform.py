"""``Transform``: notebooks, scripts and pipelines that create data."""

from __future__ import annotations

import warnings
from typing import Any

from django.db import models

from .. import errors, lineage
from ..instance import current_user_id
from ..logger import logger
from ..uids import base62_12_v0
from .record import ID_HELP, IsVersioned, Record

TRANSFORM_TYPES = ("pipeline", "notebook", "upload", "script", "function", "linker", "glue")
"""The values of ``Transform.type``: LaminDB 1.0's, and ``glue``, which LaminDB 0.x wrote."""

# the constructor's keywords besides the fields: LaminDB 1.0 lists these in its error message
_LAMINDB_KEYWORDS = "key, description, version, type, revises, reference, reference_type"


class Transform(Record, IsVersioned):
    """A notebook, script or pipeline; each execution is a ``Run``.

    ``ln.track()`` creates or reuses the transform of the running notebook or
    script. In queries, ``name`` means ``key`` (as in LaminDB 1.0).

    Example:
        >>> ln.Transform.filter(key__endswith=".ipynb").df()
    """

    _field_aliases = {"name": "key"}
    _name_field = "key"
    _len_full_uid = 16
    _len_stem_uid = 12

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=16, default=base62_12_v0,
        help_text="Universal id, valid across instances: a 12-character stem that all versions share, then a "
        "4-character version counter, e.g. 'pd7UR7Z8hoTq0000'.",
    )
    key = models.CharField(
        max_length=1024, null=True, blank=True, default=None, db_index=True,
        help_text="The notebook's or script's file name, e.g. 'analysis.ipynb'; queries take name for it.",
    )
    description = models.CharField(
        max_length=255, null=True, blank=True, default=None, db_index=True,
        help_text="A title or description; a notebook's title by default.",
    )
    type = models.CharField(
        max_length=20, db_index=True, default="pipeline",
        help_text="'notebook', 'script', 'pipeline' or 'function'.",
    )
    source_code = models.TextField(
        null=True, blank=True, default=None,
        help_text="The source code of a script, saved by ln.track().",
    )
    hash = models.CharField(
        max_length=22, null=True, blank=True, default=None, db_index=True,
        help_text="Hash of the source code.",
    )
    reference = models.CharField(
        max_length=255, null=True, blank=True, default=None,
        help_text="A reference, such as the URL of the source code.",
    )
    reference_type = models.CharField(
        max_length=25, null=True, blank=True, default=None,
        help_text="The kind of reference, e.g. 'url'.",
    )
    _template = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, default=None, related_name="_derived_from_template",
        help_text="The transform this one was made from, as a template.",
    )
    predecessors = models.ManyToManyField(
        "self", symmetrical=False, related_name="successors", blank=True,
        help_text="Transforms whose outputs this one uses, besides what its runs' inputs record; "
        "transform.successors lists the ones after it.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When the transform was created.")
    created_by = models.ForeignKey(
        "core.User", models.PROTECT, default=current_user_id, related_name="created_transforms",
        help_text="The user who created the transform.",
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True, help_text="When the transform was last saved.")

    def __init__(self, *args, **kwargs):
        """Create a transform, or a new version of one.

        Args:
            key: A file name or path-like key, e.g. ``"analysis.ipynb"``.
            description: A title or description.
            version: A version label of your choice (a string).
            type: ``"pipeline"`` (default), ``"notebook"``, ``"script"``,
                ``"function"``, ``"upload"`` or ``"linker"``.
            revises: A saved transform of which this is the next version.
            reference, reference_type: e.g. the URL of the source code, ``"url"``.
            name: LaminDB 0.x's name: taken as ``key`` (or as ``description``
                when ``key`` is given), with a ``FutureWarning``.

        A transform of the same uid, or the latest of the same key whose source
        code was never saved, is the existing record: it is returned (loaded)
        instead of a new one. A key whose latest transform has saved source code
        gets a new version (the next uid in its family), as ``revises`` does.

        Raises:
            ValueError: an unknown keyword, or a version that is not a string.
            TypeError: ``revises`` is not a ``Transform``.
            ln.errors.FieldValidationError: ``type`` is not one of the above.
            ln.errors.InconsistentKey: ``key`` differs from the key of the family
                that ``revises`` (or ``uid``) names.

        Example:
            >>> v1 = ln.Transform(key="train.py", type="script", version="1").save()
            >>> v2 = ln.Transform(revises=v1, version="2").save()
            >>> v1.is_latest, v2.uid[:12] == v1.uid[:12]
            (False, True)
        """
        if len(args) == len(self._meta.concrete_fields):
            super().__init__(*args, **kwargs)
            return
        if args:
            raise ValueError("please provide keyword arguments, not plain arguments")
        key = kwargs.pop("key", None)
        description = kwargs.pop("description", None)
        if "name" in kwargs:
            name = kwargs.pop("name")
            if key is None:
                key = name
                warnings.warn(
                    f"`name` will be removed soon, please pass '{name}' to `key` instead", FutureWarning, stacklevel=2
                )
            else:
                description = name
                warnings.warn(
                    f"`name` will be removed soon, please pass '{name}' to `description` instead",
                    FutureWarning, stacklevel=2,
                )
        revises = kwargs.pop("revises", None)
        version = kwargs.pop("version", None)
        kwargs.setdefault("type", "pipeline")
        uid = kwargs.pop("uid", None)
        unknown = {k: v for k, v in kwargs.items() if k not in self._init_fields()}
        if unknown:
            raise ValueError(f"Only {_LAMINDB_KEYWORDS} can be passed, but you passed: {unknown}")
        if kwargs["type"] not in TRANSFORM_TYPES:
            raise errors.FieldValidationError(
                f"type: {kwargs['type']!r} is not a valid value; valid values are: {', '.join(sorted(TRANSFORM_TYPES))}"
            )
        if uid is not None and len(uid) != self._len_full_uid:
            raise errors.ValidationError(f"`uid` must be exactly {self._len_full_uid} characters long, got {len(uid)}.")
        if revises is None and uid is not None:
            revises = type(self).objects.filter(uid=uid).first() or (
                type(self).objects.filter(uid__startswith=uid[:-4], is_latest=True).order_by("-id").first()
            )
        elif revises is None and key is not None:
            candidate = type(self).objects.filter(key=key, is_latest=True).order_by("-id").first()
            if candidate is not None:
                revises = candidate
                if candidate.source_code is None:
                    # no source saved yet: the same transform, not a new version
                    logger.important("no source code was yet saved, returning existing transform with same key")
                    uid = candidate.uid
                elif version is not None:
                    same = type(self).objects.filter(key=key, version=version).order_by("-id").first()
                    if same is not None:
                        logger.important(f"returning existing Transform record with same key and version: '{key}'")
                        revises, uid = same, same.uid
        if revises is not None and uid is not None and uid == revises.uid:
            if key is not None and revises.key != key:
                logger.warning("ignoring inconsistent key")
            self._load_existing(revises, description=description)
            return
        if isinstance(revises, Transform) and key is not None and revises.key != key:
            raise errors.InconsistentKey(
                f"`key` is '{key}', but `revises.key` is '{revises.key}'\n\nEither do *not* pass `key`.\n\n"
                + update_key_note(revises.stem_uid, revises.key, key)
            )
        new_uid, revises = self._next_version(revises, version)
        if revises is not None:
            key = revises.key if key is None else key
            description = revises.description if description is None else description
        super().__init__(uid=uid or new_uid, key=key, description=description, version=version, **kwargs)
        self._revises = revises

    def _load_existing(self, existing: Transform, description: str | None) -> None:
        super().__init__(*[getattr(existing, f.attname) for f in self._meta.concrete_fields])
        self._state.adding = False
        self._state.db = existing._state.db
        if description is not None and description != self.description:
            logger.warning(f"updated description from {self.description} to {description}")
            self.description = description

    def save(self, *args, **kwargs) -> Transform:
        """Save the transform; a new version becomes the latest of its family.

        Example:
            >>> ln.Transform(key="train.py", type="script").save()
        """
        if self._state.adding and self._revises is not None:
            self._save_version(lambda: super(Transform, self).save(*args, **kwargs))
            return self
        return super().save(*args, **kwargs)

    @property
    def latest_run(self) -> Any:
        """The run of this transform that started last, or None.

        Example:
            >>> transform.latest_run.started_at
        """
        return self.runs.order_by("-started_at", "-id").first()

    def view_lineage(self, with_children: bool = True, distance: int = 5) -> lineage.LineageGraph:
        """The transform's lineage graph: see :func:`lamindb_core.lineage.graph`.

        Example:
            >>> transform.view_lineage()          # SVG in Jupyter, text in a terminal
        """
        return lineage.graph(self, with_children=with_children, distance=distance)


def update_key_note(stem_uid: str, existing_key: str, new_key: str) -> str:
    """How to give all versions of a family a new key (LaminDB's note)."""
    return (
        f'Or update key "{existing_key}" to "{new_key}" for all previous versions:\n\n'
        f'ln.Transform.filter(uid__startswith="{stem_uid}").update(key="{new_key}")\n'
    )
