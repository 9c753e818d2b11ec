"""``Run``: one execution of a ``Transform``."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .. import lineage
from ..instance import current_user_id
from ..uids import base62_20
from .param import ParamsDescriptor
from .record import ID_HELP, BasicRecord, Record


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

    def cells(self) -> Any:
        """What the run read and wrote, and in which notebook cell: a DataFrame.

        One row per input and output of the run (artifacts and collections:
        ``run.input_artifacts``, ``run.output_artifacts``, ``run.input_collections``,
        ``run.output_collections``), inputs first, with columns

        - ``direction``: ``"input"`` (loaded, cached or opened in the run) or
          ``"output"`` (saved in the run),
        - ``registry``: ``"Artifact"`` or ``"Collection"``,
        - ``uid``, ``key`` and ``description`` of the record,
        - ``cell_id`` and ``execution_count``: the Jupyter notebook cell that
          read the input (the last one that did) or saved the output, as the
          notebook shows it (``[3]``); empty (``None``) for a script, a plain
          IPython session, or records linked by hand.

        Example:
            >>> ln.track()
            >>> df = ln.Artifact.get(key="raw.parquet").load()    # cell [2]
            >>> ln.Artifact.from_df(df.head(), key="head.parquet").save()   # cell [3]
            >>> ln.context.run.cells()
              direction  registry                   uid           key description  cell_id  execution_count
            0     input  Artifact  Vd5t0CmQ4bBsmG5S0000   raw.parquet        None  a1b2...                2
            1    output  Artifact  jB1NZZEEZhEcQq8y0000  head.parquet        None  c3d4...                3
        """
        import pandas as pd

        found = {
            (c.direction, "Artifact" if c.artifact_id is not None else "Collection", c.artifact_id or c.collection_id):
            (c.cell_id, c.execution_count)
            for c in self.cell_records.all()
        }
        rows = []
        for direction, relations in (("input", ("input_artifacts", "input_collections")),
                                     ("output", ("output_artifacts", "output_collections"))):
            for relation in relations:
                registry = "Artifact" if relation.endswith("artifacts") else "Collection"
                for record in getattr(self, relation).order_by("id"):
                    cell_id, count = found.get((direction, registry, record.id), (None, None))
                    rows.append({
                        "direction": direction, "registry": registry, "uid": record.uid, "key": record.key,
                        "description": record.description, "cell_id": cell_id, "execution_count": count,
                    })
        columns = ["direction", "registry", "uid", "key", "description", "cell_id", "execution_count"]
        frame = pd.DataFrame(rows, columns=columns)
        return frame.astype({"execution_count": "Int64"})


    def view_lineage(self, with_children: bool = True, distance: int = 5) -> lineage.LineageGraph:
        """The run's lineage graph: see :func:`lamindb_core.lineage.graph`.

        Example:
            >>> run.view_lineage()          # SVG in Jupyter, text in a terminal
        """
        return lineage.graph(self, with_children=with_children, distance=distance)

class RunCell(BasicRecord):
    """The notebook cell in which a run read an input or saved an output.

    Written in Jupyter only (see ``Run.cells()``, which reads it): one row per run,
    record and direction. An output keeps the cell that saved it first; an input
    has the cell that read it last (a notebook re-run in its re-started run
    updates it).
    """

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the row.")
    run = models.ForeignKey(
        Run, models.CASCADE, related_name="cell_records",
        help_text="The run that read or wrote the record.",
    )
    artifact = models.ForeignKey(
        "core.Artifact", models.CASCADE, null=True, blank=True, default=None, related_name="run_cells",
        help_text="The artifact read or written; None for a collection.",
    )
    collection = models.ForeignKey(
        "core.Collection", models.CASCADE, null=True, blank=True, default=None, related_name="run_cells",
        help_text="The collection read or written; None for an artifact.",
    )
    direction = models.CharField(
        max_length=6, db_index=True,
        help_text="'input' (loaded, cached or opened) or 'output' (saved).",
    )
    cell_id = models.CharField(
        max_length=255, null=True, blank=True, default=None, db_index=True,
        help_text="The notebook cell's id (nbformat 4.5 cell id), as the frontend sent it; None if unknown.",
    )
    execution_count = models.IntegerField(
        null=True, blank=True, default=None,
        help_text="The cell's execution count, the [n] the notebook shows.",
    )
    recorded_at = models.DateTimeField(auto_now=True, help_text="When the cell read or wrote the record (last).")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "artifact", "direction"], condition=Q(artifact__isnull=False),
                name="runcell_one_per_artifact",
            ),
            models.UniqueConstraint(
                fields=["run", "collection", "direction"], condition=Q(collection__isnull=False),
                name="runcell_one_per_collection",
            ),
        ]
