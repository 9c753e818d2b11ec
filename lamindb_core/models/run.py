"""``Run``: one execution of a ``Transform``."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .. import lineage
from ..instance import current_user_id
from ..uids import base62_20
from .param import ParamsDescriptor
from .record import ID_HELP, Record


class Run(Record):
    """One execution of a transform; records saved during it point to it.

    Example:
        >>> ln.track()
        >>> ln.Run.df()
    """

    _len_full_uid = 20

    id = models.BigAutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=20, default=base62_20,
        help_text="Universal id, valid across instances; 20 characters.",
    )
    name = models.CharField(
        max_length=150, null=True, blank=True, default=None,
        help_text="A name of your choice for the run.",
    )
    started_at = models.DateTimeField(
        default=timezone.now, db_index=True,
        help_text="When the run started (ln.track()).",
    )
    finished_at = models.DateTimeField(
        null=True, blank=True, default=None, db_index=True,
        help_text="When the run finished (ln.finish()); None while it runs or if it ended without ln.finish().",
    )
    reference = models.CharField(
        max_length=255, null=True, blank=True, default=None,
        help_text="A reference, such as the URL of a workflow run.",
    )
    reference_type = models.CharField(
        max_length=25, null=True, blank=True, default=None,
        help_text="The kind of reference, e.g. 'url'.",
    )
    _is_consecutive = models.BooleanField(
        null=True, blank=True, default=None,
        help_text="Whether a notebook's cells ran in order, as LaminDB 1.0 records it; None if unknown.",
    )
    _status_code = models.SmallIntegerField(
        default=0, db_index=True,
        help_text="Status code as LaminDB 1.0 records it; lamindb-core leaves it at 0.",
    )
    transform = models.ForeignKey(
        "core.Transform", models.CASCADE, related_name="runs",
        help_text="The notebook, script or pipeline that ran.",
    )
    report = models.ForeignKey(
        "core.Artifact", models.PROTECT, null=True, blank=True, default=None, related_name="_report_of",
        help_text="A report of the run, e.g. the notebook rendered as HTML.",
    )
    _logfile = models.ForeignKey(
        "core.Artifact", models.PROTECT, null=True, blank=True, default=None, related_name="_logfile_of",
        help_text="The run's log, as an artifact.",
    )
    environment = models.ForeignKey(
        "core.Artifact", models.PROTECT, null=True, blank=True, default=None, related_name="_environment_of",
        help_text="The computational environment, e.g. a requirements.txt, as an artifact.",
    )
    initiated_by_run = models.ForeignKey(
        "self", models.CASCADE, null=True, blank=True, default=None, related_name="initiated_runs",
        help_text="The run that started this one, e.g. a pipeline's run for one of its steps.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, help_text="When the run was created.")
    created_by = models.ForeignKey(
        "core.User", models.PROTECT, default=current_user_id, related_name="created_runs",
        help_text="The user who ran it.",
    )

    params = ParamsDescriptor()
    """Param values of the run: ``run.params.add_values({"learning_rate": 0.01})``, ``.get_values()``."""

    def __init__(self, *args, **kwargs):
        """Create a run of a saved transform: ``ln.Run(transform)``.

        Args:
            transform: The saved ``Transform`` that runs (the one positional argument).
            name, reference, reference_type, initiated_by_run: as the fields.

        Raises:
            TypeError: no transform is passed.
            ValueError: more than one positional argument, or the transform is not saved.

        Example:
            >>> run = ln.Run(transform, reference="https://ci.example.org/123").save()
        """
        if len(args) == len(self._meta.concrete_fields):
            super().__init__(*args, **kwargs)
            return
        if len(args) > 1:
            raise ValueError("Only one non-keyword arg allowed: transform")
        if args:
            if "transform" in kwargs:
                raise ValueError("pass transform once: ln.Run(transform) or ln.Run(transform=transform)")
            kwargs["transform"] = args[0]
        transform = kwargs.get("transform")
        if transform is None and kwargs.get("transform_id") is None:
            raise TypeError("Pass transform parameter")
        if transform is not None and getattr(getattr(transform, "_state", None), "adding", False):
            raise ValueError("Please save transform record before creating a run")
        super().__init__(**kwargs)

    def view_lineage(self, with_children: bool = True, distance: int = 5) -> lineage.LineageGraph:
        """The run's lineage graph: see :func:`lamindb_core.lineage.graph`.

        Example:
            >>> run.view_lineage()          # SVG in Jupyter, text in a terminal
        """
        return lineage.graph(self, with_children=with_children, distance=distance)
