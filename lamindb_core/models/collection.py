"""``Collection``: versioned sets of artifacts."""

from __future__ import annotations

import base64
import hashlib
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from django.db import models, transaction

from .. import errors, files, lineage
from ..context import current_run_id
from ..logger import logger
from ..mapped import MappedCollection
from ..uids import base62_16_v0
from .artifact import Artifact
from .record import ID_HELP, BasicRecord, IsVersioned, Record, TracksRun, TracksUpdates


def hash_of_artifacts(artifacts: Iterable[Artifact]) -> str | None:
    """The hash of a set of artifacts: of their content hashes, in any order.

    Raises:
        ValueError: an artifact is not saved, or two have the same content.
    """
    artifacts = list(artifacts)
    if any(a._state.adding for a in artifacts):
        raise ValueError("Not all artifacts are yet saved, please save them")
    hashes = [a.hash for a in artifacts if a.hash is not None]
    if len(hashes) != len(set(hashes)):
        seen: set[str] = set()
        repeated = [h for h in hashes if h in seen or seen.add(h)]
        raise ValueError(f"Please pass artifacts with distinct hashes: these ones are non-unique {repeated}")
    if not hashes:
        return None
    digest = hashlib.md5(":".join(sorted(hashes)).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


class Collection(Record, IsVersioned, TracksRun, TracksUpdates):
    """A collection of artifacts, such as the shards of a dataset.

    Example:
        >>> collection = ln.Collection([artifact1, artifact2], key="scrna/all-batches").save()
        >>> collection.load()             # one DataFrame or AnnData of all
        >>> collection.append(artifact3).save()   # the next version
    """

    _field_aliases = {"name": "key"}
    _name_field = "key"
    _len_full_uid = 20
    _len_stem_uid = 16
    # set on a new collection until it is saved: its artifacts, in order
    _artifacts: list[Artifact] | None = None

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=20, default=base62_16_v0,
        help_text="Universal id, valid across instances: a 16-character stem that all versions share, then a "
        "4-character version counter (0000 for the first).",
    )
    key = models.CharField(
        max_length=255, db_index=True,
        help_text="The collection's name or path-like key, e.g. 'scrna/all-batches'.",
    )
    description = models.TextField(null=True, blank=True, default=None, help_text="A description.")
    hash = models.CharField(
        max_length=22, null=True, blank=True, default=None, db_index=True, unique=True,
        help_text="Hash of the collection's content, made from its artifacts.",
    )
    reference = models.CharField(
        max_length=255, null=True, blank=True, default=None, db_index=True,
        help_text="A reference, such as a URL or a DOI.",
    )
    reference_type = models.CharField(
        max_length=25, null=True, blank=True, default=None, db_index=True,
        help_text="The kind of reference, e.g. 'url' or 'doi'.",
    )
    meta_artifact = models.OneToOneField(
        "core.Artifact", models.PROTECT, null=True, blank=True, default=None, related_name="_meta_of_collection",
        help_text="An artifact that holds the collection's metadata, such as a table of its samples.",
    )
    run = models.ForeignKey(
        "core.Run", models.PROTECT, null=True, blank=True, default=current_run_id, related_name="output_collections",
        help_text="The run that created the collection: the run of ln.track() when it was saved, else None.",
    )
    artifacts = models.ManyToManyField(
        "core.Artifact", through="CollectionArtifact", related_name="collections", blank=True,
        help_text="The artifacts in the collection.",
    )


    def __init__(self, *args, **kwargs):
        """Create a collection of saved artifacts, or a new version of one.

        Args:
            artifacts: An ``Artifact`` or a list of them (the one positional argument), saved.
            key: A name or path-like key, e.g. ``"scrna/all-batches"``; ``name``
                is taken for it, with a ``FutureWarning``, as in LaminDB 1.0.
            description: A description.
            meta_artifact: A saved artifact with the collection's metadata.
            reference, reference_type: e.g. a DOI and ``"doi"``.
            run: The run that creates it; the tracked run by default.
            revises: A saved collection of which this is the next version.
            version: A version label (a string).

        A collection of the same artifacts (the same hash) exists already: that
        one is returned, with a warning.

        Raises:
            ValueError: more than one positional argument, an unknown keyword,
                unsaved artifacts or two with the same content.

        Example:
            >>> ln.Collection([artifact1, artifact2], key="my-collection").save()
        """
        if len(args) == len(self._meta.concrete_fields):
            super().__init__(*args, **kwargs)
            return
        if len(args) > 1:
            raise ValueError("Only one non-keyword arg allowed: artifacts")
        if not args and "artifacts" not in kwargs:
            # a bare record, as Django and ln.save() build them
            super().__init__(**kwargs)
            return
        artifacts = args[0] if args else kwargs.pop("artifacts")
        if "name" in kwargs:
            name = kwargs.pop("name")
            if kwargs.get("key") is None:
                kwargs["key"] = name
            warnings.warn(f"argument `name` will be removed, please pass {name} to `key` instead", FutureWarning,
                          stacklevel=2)
        revises = kwargs.pop("revises", None)
        if "run" in kwargs and kwargs["run"] is None:
            del kwargs["run"]  # the tracked run, as the field's default
        allowed = {"key", "description", "meta_artifact", "reference", "reference_type", "run", "version",
                   "_branch_code"}
        unknown = {k: v for k, v in kwargs.items() if k not in allowed}
        if unknown:
            raise ValueError(
                f"Only artifacts, key, run, description, reference, reference_type can be passed, you passed: {unknown}"
            )
        if isinstance(artifacts, Artifact):
            artifacts = [artifacts]
        elif not isinstance(artifacts, Iterable) or isinstance(artifacts, (str, bytes)):
            raise ValueError("Artifact or list[Artifact] is allowed.")
        artifacts = list(artifacts)
        if not artifacts or not all(isinstance(a, Artifact) for a in artifacts):
            raise ValueError("Artifact or list[Artifact] is allowed.")
        meta = kwargs.get("meta_artifact")
        if meta is not None and (not isinstance(meta, Artifact) or meta._state.adding):
            raise ValueError("meta_artifact has to be a saved Artifact")
        content_hash = hash_of_artifacts(artifacts)
        existing = type(self).objects.filter(hash=content_hash).first() if content_hash is not None else None
        if existing is not None:
            logger.warning(f"returning existing collection with same hash: {existing!r}")
            super().__init__(*[getattr(existing, f.attname) for f in self._meta.concrete_fields])
            self._state.adding = False
            self._state.db = existing._state.db
            for name in ("key", "description"):
                if kwargs.get(name) is not None and getattr(self, name) != kwargs[name]:
                    logger.warning(f"updated {name} from {getattr(self, name)} to {kwargs[name]}")
                    setattr(self, name, kwargs[name])
            return
        uid, revises = self._next_version(revises, kwargs.get("version"))
        if revises is not None:
            kwargs["key"] = revises.key if kwargs.get("key") is None else kwargs["key"]
            if kwargs.get("description") is None:
                kwargs["description"] = revises.description
        super().__init__(uid=uid, hash=content_hash, **kwargs)
        self._revises = revises
        self._artifacts = artifacts

    def save(self, *args, **kwargs) -> Collection:
        """Save the collection and the links to its artifacts, in their order, in one transaction.

        A new version becomes the latest of its family.

        Example:
            >>> collection.save()
        """
        artifacts = self._artifacts if self._state.adding else None
        if artifacts is None:
            return super().save(*args, **kwargs)

        def insert() -> None:
            super(Collection, self).save(*args, **kwargs)
            if CollectionArtifact.objects.filter(collection_id=self.id).exists():
                return  # the same artifacts were saved as a collection meanwhile: that one was returned
            # links in the artifacts' order: their ids keep it (ordered_artifacts)
            CollectionArtifact.objects.bulk_create(
                [CollectionArtifact(collection_id=self.id, artifact_id=a.id) for a in artifacts],
                ignore_conflicts=True,
            )

        with transaction.atomic():
            if self._revises is not None:
                self._save_version(insert)
            else:
                insert()
        self._artifacts = None
        return self

    @property
    def ordered_artifacts(self) -> Any:
        """The artifacts, in the order in which they were passed to the collection.

        Example:
            >>> [a.key for a in collection.ordered_artifacts]
        """
        return self.artifacts.order_by("links_collection__id")

    @property
    def data_artifact(self) -> Artifact | None:
        """The first artifact: the data of a collection of one artifact."""
        return self.ordered_artifacts.first()

    def _artifact_list(self) -> list[Artifact]:
        if self._state.adding:
            return list(self._artifacts or [])
        return list(self.ordered_artifacts)

    def append(self, artifact: Artifact, run: Any = None) -> Collection:
        """A new version of the collection with one more artifact (not saved yet).

        Example:
            >>> collection_v2 = collection.append(artifact3).save()
        """
        return Collection([*self._artifact_list(), artifact], description=self.description, revises=self, run=run)

    def cache(self, is_run_input: bool | None = None) -> list[Path]:
        """Local paths of the artifacts' data, in order.

        Example:
            >>> collection.cache()
            [PosixPath('/home/me/mydata/.lamindb/...0000.parquet'), ...]
        """
        return [artifact.cache(is_run_input=is_run_input) for artifact in self._artifact_list()]

    def load(self, join: Literal["inner", "outer"] = "outer", is_run_input: bool | None = None, **kwargs) -> Any:
        """Load the artifacts and concatenate them: one DataFrame or one AnnData
        (with an ``artifact_uid`` column in ``obs``).

        Args:
            join: ``"outer"`` keeps all columns (variables), ``"inner"`` the common ones.

        Raises:
            RuntimeError: the artifacts have different suffixes.

        Example:
            >>> df = collection.load()
        """
        artifacts = self._artifact_list()
        if len({a.suffix for a in artifacts}) != 1:
            raise RuntimeError("Can only load collections where all artifacts have the same suffix")
        objects = [artifact.load(is_run_input=is_run_input) for artifact in artifacts]
        if files.is_dataframe(objects[0]):
            import pandas as pd

            return pd.concat(objects, join=join)
        if files.is_anndata(objects[0]):
            import anndata as ad

            return ad.concat(objects, join=join, label="artifact_uid", keys=[a.uid for a in artifacts])
        return objects

    def mapped(self, layers_keys: str | list[str] | None = None, obs_keys: str | list[str] | None = None,
               obsm_keys: str | list[str] | None = None, obs_filter: dict[str, Any] | None = None,
               join: Literal["inner", "outer"] | None = "inner", encode_labels: bool | list[str] = True,
               unknown_label: str | dict[str, str] | None = None, cache_categories: bool = True,
               parallel: bool = False, dtype: str | None = None, stream: bool = False,
               is_run_input: bool | None = None) -> MappedCollection:
        """A map-style dataset over the collection's ``.h5ad`` artifacts, for
        training loops: ``len(ds)`` rows, ``ds[i]`` a dict of the ``X`` row and
        the ``obs`` labels (encoded as integers); a PyTorch ``DataLoader`` takes it.

        Artifacts of other suffixes are left out, with a warning.

        Example:
            >>> with collection.mapped(obs_keys="cell_type") as ds:
            ...     ds[0]["X"].shape, ds[0]["cell_type"]
        """
        paths = []
        for artifact in self._artifact_list():
            if artifact.suffix != ".h5ad":
                logger.warning(f"Ignoring artifact with suffix {artifact.suffix}")
                continue
            paths.append(artifact.path if stream else artifact.cache(is_run_input=is_run_input))
        return MappedCollection(
            paths, layers_keys=layers_keys, obs_keys=obs_keys, obsm_keys=obsm_keys, obs_filter=obs_filter,
            join=join, encode_labels=encode_labels, unknown_label=unknown_label, dtype=dtype,
        )

    def delete(self, permanent: bool | None = None) -> None:
        """Move the collection to the trash, or delete it for good; its artifacts stay.

        Args:
            permanent: True deletes the record (and its links to artifacts) for good.

        Example:
            >>> collection.delete()                 # to the trash
            >>> collection.restore()                # back
            >>> collection.delete(permanent=True)   # gone; the artifacts stay
        """
        if self._state.adding:
            raise errors.InvalidArgument(f"{self!r} is not saved: there is nothing to delete")
        if not permanent:
            if self._branch_code == -1:
                logger.warning(f"{self!r} is in the trash already; delete(permanent=True) deletes it for good")
                return
            self._branch_code = -1
            try:
                self.save(update_fields=["_branch_code", "updated_at"])
            except BaseException:
                self._branch_code = 1
                raise
            logger.warning("moved collection to trash (_branch_code = -1)")
            return
        super().delete()

    def restore(self) -> None:
        """Bring the collection back from the trash."""
        if self._state.adding:
            raise errors.InvalidArgument(f"{self!r} is not saved: there is nothing to restore")
        previous = self._branch_code
        self._branch_code = 1
        try:
            self.save(update_fields=["_branch_code", "updated_at"])
        except BaseException:
            self._branch_code = previous
            raise

    def view_lineage(self, with_children: bool = True, distance: int = 5) -> lineage.LineageGraph:
        """The collection's lineage graph, its artifacts included: see :func:`lamindb_core.lineage.graph`.

        Example:
            >>> collection.view_lineage()          # SVG in Jupyter, text in a terminal
        """
        return lineage.graph(self, with_children=with_children, distance=distance)


class CollectionArtifact(BasicRecord, TracksRun):
    """Links a ``Collection`` to its artifacts."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    collection = models.ForeignKey(
        Collection, models.CASCADE, related_name="links_artifact",
        help_text="The collection.",
    )
    artifact = models.ForeignKey(
        "core.Artifact", models.PROTECT, related_name="links_collection",
        help_text="An artifact in it.",
    )

    class Meta:
        unique_together = ("collection", "artifact")
