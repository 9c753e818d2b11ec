"""``Artifact``: files, folders and in-memory datasets, with their link tables."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Substr

from .. import bucket_files, errors, files, lineage, loaders, object_store, process_settings, storage_paths
from ..context import current_run_id
from ..instance import current_instance
from ..logger import logger
from ..uids import base62_16_v0, increment_base62
from . import artifact_batch, artifact_data, artifact_lifecycle, provenance
from .annotations import FeaturesDescriptor
from .artifact_query import ArtifactManager, ArtifactQuerySet
from .describe import artifact_tree
from .labels import LabelsDescriptor
from .param import ParamsDescriptor
from .record import ID_HELP, BasicRecord, IsVersioned, Record, TracksRun, TracksUpdates
from .storage import Storage


class Artifact(Record, IsVersioned, TracksRun, TracksUpdates):
    """A dataset or model: a file, a folder, a DataFrame or an AnnData.

    The uid has 20 characters: a 16-character stem shared by all versions and a
    4-character version suffix (``0000`` for the first).

    Example:
        >>> ln.Artifact(datasets.file_fastq(), key="raw/my_fastq.fastq").save()
        >>> ln.Artifact.from_df(datasets.df_iris(), key="iris/iris_collection.parquet").save()
        >>> ln.Artifact.filter(suffix=".parquet").one().load()
    """

    id = models.AutoField(primary_key=True, help_text=ID_HELP)
    uid = models.CharField(
        unique=True, db_index=True, max_length=20, default=base62_16_v0,
        help_text="Universal id, valid across instances: a 16-character stem that all versions share, then a "
        "4-character version counter (0000 for the first).",
    )
    key = models.CharField(
        max_length=1024, null=True, blank=True, default=None, db_index=True,
        help_text="The artifact's path-like name, e.g. 'raw/reads.fastq.gz'; new content saved under the same key is a "
        "new version.",
    )
    description = models.CharField(
        max_length=1024, null=True, blank=True, default=None, db_index=True,
        help_text="A description, e.g. 'Raw reads of sample 1'.",
    )
    suffix = models.CharField(
        max_length=30, db_index=True, default="",
        help_text="The file suffix, e.g. '.fastq.gz' or '.h5ad'; '' for a folder; computed from the data.",
    )
    kind = models.CharField(
        max_length=20, null=True, blank=True, default=None, db_index=True,
        help_text="What the artifact is: 'dataset' (set for DataFrames and AnnData), 'model', or None.",
    )
    otype = models.CharField(
        max_length=64, null=True, blank=True, default=None, db_index=True,
        help_text="The type of object the data loads as: 'DataFrame' or 'AnnData'; None for other files and folders.",
    )
    size = models.BigIntegerField(
        null=True, blank=True, default=None, db_index=True,
        help_text="Size in bytes; of a folder, the sum of its files.",
    )
    hash = models.CharField(
        max_length=86, null=True, blank=True, default=None, db_index=True, unique=True,
        help_text="Hash of the content (MD5, base64); content saved again returns the artifact that has it.",
    )
    n_files = models.BigIntegerField(
        null=True, blank=True, default=None, db_index=True,
        help_text="Number of files of a folder; None for a file.",
    )
    n_observations = models.BigIntegerField(
        null=True, blank=True, default=None, db_index=True,
        help_text="Number of observations: the rows of a DataFrame, the cells (obs) of an AnnData.",
    )
    _hash_type = models.CharField(
        max_length=30, null=True, blank=True, default=None,
        help_text="How hash was computed: 'md5' of a file's bytes, 'md5-d' of a folder's files and their paths.",
    )
    _key_is_virtual = models.BooleanField(
        default=True,
        help_text="Whether the key exists only in the database: the data is stored as .lamindb/<uid><suffix> in the "
        "storage.",
    )
    _curator = models.JSONField(
        null=True, blank=True, default=None,
        help_text="Curation state as LaminDB 1.0 records it; lamindb-core does not set it.",
    )
    _overwrite_versions = models.BooleanField(
        default=False,
        help_text="Whether new versions replace the stored data of earlier ones; lamindb-core keeps each version's "
        "data.",
    )
    storage = models.ForeignKey(
        "core.Storage", models.PROTECT, related_name="artifacts",
        help_text="The storage location (root folder) that holds the data; the instance's storage by default.",
    )
    schema = models.ForeignKey(
        "core.FeatureSet", models.PROTECT, null=True, blank=True, default=None, related_name="validated_artifacts",
        help_text="The schema the artifact was validated against (LaminDB fills it from 1.1 on); schema.validated_artifacts.",
    )
    run = models.ForeignKey(
        "core.Run", models.PROTECT, null=True, blank=True, default=current_run_id, related_name="output_artifacts",
        help_text="The run that created the artifact: the run of ln.track() when it was saved, else None.",
    )
    ulabels = models.ManyToManyField(
        "core.ULabel", through="ArtifactULabel", related_name="artifacts", blank=True,
        help_text="The artifact's labels; artifact.labels.add(label, feature=...) links them.",
    )
    feature_sets = models.ManyToManyField(
        "core.FeatureSet", through="ArtifactFeatureSet", related_name="artifacts", blank=True,
        help_text="The sets of features (or genes) the artifact measures, e.g. a DataFrame's columns; ln.Curator links "
        "them.",
    )
    _feature_values = models.ManyToManyField(
        "core.FeatureValue", through="ArtifactFeatureValue", related_name="artifacts", blank=True,
        help_text="Values of non-categorical features, e.g. temperature 21.6; artifact.features.add_values() links "
        "them.",
    )
    input_of_runs = models.ManyToManyField(
        "core.Run", related_name="input_artifacts", blank=True,
        help_text="The runs that used the artifact as an input: artifact.input_of_runs.add(run).",
    )

    objects = ArtifactManager()

    # LaminDB 1.0's df() (the guide's output) has no schema_id column
    _df_hidden = ("schema_id",)

    class Meta:
        constraints = [
            # A version family is the 16-character uid stem (artifacts without a
            # key have versions too, and a key may change between versions): at
            # most one member of a family is the latest, also in the trash.
            models.UniqueConstraint(
                Substr("uid", 1, 16), condition=Q(is_latest=True), name="artifact_one_latest_version",
                violation_error_message="another version of this artifact is the latest",
            ),
        ]

    # Set on artifacts made from data, until they are saved. Class attributes, so
    # that records loaded from the database have them too.
    _local_data: files.LocalData | None = None
    _revises: Artifact | None = None
    _release_temp: Any = None
    _memory_rep: Any = None
    # the key and suffix as saved, to refuse changes that would lose the data
    _saved_key_suffix: tuple[str | None, str] | None = None

    def __init__(self, *args, **kwargs):
        """Create an artifact from a file, a folder, a DataFrame or an AnnData.

        Args:
            data: A local file or folder path (``str`` or ``Path``), a
                ``pandas.DataFrame`` (stored as ``.parquet``) or an ``AnnData``
                (stored as ``.h5ad``, or a ``.zarr`` folder with ``format="zarr"``).
            key: A path-like key, such as ``"images/my_image.jpg"``.
            description: A description.
            run: The run that creates it; the tracked run by default.
            revises: An artifact of which this is a new version.
            version: A version label, a string such as ``"2"``.
            format: For an AnnData: ``"h5ad"`` (default), ``"zarr"`` or
                ``"anndata.zarr"``; the suffix of ``key`` says it too.
            **fields: Other fields, such as ``kind="model"``.

        Where the data goes: a file or folder that lies inside a registered
        storage location (``ln.Storage``; the instance's folder or another
        one) is registered where it is: nothing is copied, its ``key`` is its
        path relative to that root and cannot change (``_key_is_virtual`` is
        False). Anything else is copied into ``ln.settings.storage`` when saved.

        The data's ``suffix``, ``size``, ``hash``, ``n_files``, ``kind``,
        ``otype`` and ``n_observations`` are computed here; nothing is written
        to storage or to the database until ``save()``. Content that is saved
        already gives that artifact (with a message). A ``key`` that a saved
        artifact has makes this its next version.

        Without data, keywords create a bare record (``storage`` then defaults
        to the instance's storage when it is saved).

        Raises:
            FileNotFoundError: the path does not exist.
            ValueError: more than one positional argument, a ``version`` that is
                not a string or repeats that of ``revises``, or a key or path
                inside ``.lamindb/``.
            TypeError: ``revises`` is not an Artifact.
            TypeError: the data is neither a path, a DataFrame nor an AnnData.
            ln.errors.InvalidArgument: a computed field is passed as well, the
                key's suffix is not the data's, or a file in a registered storage
                gets another key than its path.

        Example:
            >>> artifact = ln.Artifact("./reads.fastq.gz", key="raw/reads.fastq.gz").save()
            >>> artifact.suffix, artifact.size
            ('.fastq.gz', 20)
        """
        if len(args) == len(self._meta.concrete_fields):
            # a row from the database: Django passes one value per column
            super().__init__(*args)
            return
        if not args and "data" not in kwargs:
            if "revises" in kwargs:
                raise errors.InvalidArgument("revises needs data: ln.Artifact(data, revises=artifact)")
            super().__init__(**kwargs)
            return
        plan = artifact_data.plan(type(self), args, kwargs)
        if plan.existing is not None:
            super().__init__()
            self._return_existing(plan.existing)
            if plan.description is not None:
                self.description = plan.description
            return
        local = plan.local
        if local.is_temporary:
            # an unsaved artifact of an in-memory object leaves no file behind
            self._release_temp = weakref.finalize(self, files.remove_path, local.path)
        super().__init__(**plan.fields)
        self._local_data = local
        self._revises = plan.revises
        self._memory_rep = plan.memory_rep
        if plan.found_nothing:  # save() may then insert without asking again first
            self.__dict__["_found_nothing"] = True

    @classmethod
    def from_db(cls, db, field_names, values):
        """Django's constructor of records read from the database; remembers the saved key and suffix."""
        record = super().from_db(db, field_names, values)
        if "key" in field_names and "suffix" in field_names:
            record._saved_key_suffix = (record.key, record.suffix)
        return record

    @classmethod
    def from_df(
        cls, df: Any, key: str | None = None, description: str | None = None, run: Any = None,
        revises: Artifact | None = None, **kwargs,
    ) -> Artifact:
        """Create an artifact from a ``pandas.DataFrame``, stored as a parquet file.

        Args:
            df: The DataFrame.
            key: A path-like key, such as ``"iris/iris_collection.parquet"``.
            description: A description.
            run: The run that creates it; the tracked run by default.
            revises: An artifact of which this is a new version.
            **kwargs: ``version`` and other fields, as for ``ln.Artifact``.

        Raises:
            ln.errors.InvalidArgument: ``df`` is not a DataFrame, or the key's
                suffix is not ``.parquet``.

        Example:
            >>> ln.Artifact.from_df(datasets.df_iris(), key="iris/iris_collection.parquet").save()
        """
        storage_paths.check_key(key)
        if not files.is_dataframe(df):
            raise errors.InvalidArgument(
                f"Artifact.from_df() expects a pandas DataFrame, got {type(df).__name__}"
                + (": use Artifact.from_anndata()" if files.is_anndata(df) else "")
            )
        return cls(df, key=key, description=description, revises=revises, run=run, **kwargs)

    @classmethod
    def from_anndata(
        cls, adata: Any, key: str | None = None, description: str | None = None, run: Any = None,
        revises: Artifact | None = None, **kwargs,
    ) -> Artifact:
        """Create an artifact from an ``AnnData`` or a path to one (``.h5ad``, ``.zarr``).

        An AnnData in memory is stored as an ``.h5ad`` file, or as a ``.zarr``
        folder with ``format="zarr"`` (or a key ending in ``.zarr``).

        Args:
            adata: The AnnData, or the path of an ``.h5ad`` file or AnnData ``.zarr`` folder.
            key: A path-like key, such as ``"example_datasets/dataset1.h5ad"``.
            description: A description.
            run: The run that creates it; the tracked run by default.
            revises: An artifact of which this is a new version.
            **kwargs: ``format``, ``version`` and other fields, as for ``ln.Artifact``.

        Raises:
            ln.errors.InvalidArgument: ``adata`` is not an AnnData, or the key's
                suffix is not the format's.
            ValueError: an unknown ``format``.

        Example:
            >>> adata = datasets.small_dataset1(format="anndata")
            >>> ln.Artifact.from_anndata(adata, key="example_datasets/dataset1.h5ad").save()
        """
        storage_paths.check_key(key)
        if not (files.is_anndata(adata) or artifact_data.is_anndata_path(adata)):
            raise errors.InvalidArgument(
                f"Artifact.from_anndata() expects an AnnData, got {type(adata).__name__}"
                + (": use Artifact.from_df()" if files.is_dataframe(adata) else
                   f" {adata!r}: pass an AnnData or a path to AnnData-like (.h5ad, .zarr)")
            )
        kwargs.setdefault("otype", "AnnData")
        kwargs.setdefault("kind", "dataset")
        return cls(adata, key=key, description=description, revises=revises, run=run, **kwargs)

    @classmethod
    def from_dir(cls, path: Path | str, key: str | None = None, *, run: Any = None) -> list[Artifact]:
        """Create one artifact for each file of a folder, keyed by the file's path in it.

        A folder inside a registered storage location is registered where it
        is (the keys are the files' paths in that storage; a ``key`` is then an
        error). Otherwise the keys are ``<key or folder name>/<path in the folder>``
        and the files are copied when saved. Files with the same content as an
        earlier one of the folder are left out; content saved already gives the
        existing artifact.

        Args:
            path: The folder.
            key: The key of the folder, the prefix of the files' keys.
            run: The run that creates them; the tracked run by default.

        Returns:
            The artifacts, not saved: ``ln.save(artifacts)``.

        Example:
            >>> artifacts = ln.Artifact.from_dir("./images", key="images")
            >>> ln.save(artifacts)
        """
        return artifact_data.from_dir(cls, path, key=key, run=run)

    # -- where the data is ---------------------------------------------------

    @property
    def stem_uid(self) -> str:
        """The first 16 characters of ``uid``, shared by all versions."""
        return self.uid[:16]

    @property
    def path(self) -> Any:
        """Where the data is.

        A managed copy is ``<storage>/.lamindb/<uid><suffix>``; data registered
        where it lies in a registered storage (or stored at its key) is
        ``<storage>/<key>``. Before the artifact is saved, this is the local
        file it was made from.

        In a bucket it is a universal_pathlib ``UPath``
        (``S3Path('my-bucket/lamin/.lamindb/7zehFvNzAqbgyKke0000.jpg')``).

        Example:
            >>> artifact.path
            PosixPath('/home/me/mydata/.lamindb/7zehFvNzAqbgyKke0000.jpg')
        """
        if self._state.adding and self._local_data is not None:
            return self._local_data.path
        return self._storage_path()

    @property
    def _local_filepath(self) -> Path:
        # LaminDB's name of the local data an unsaved artifact was made from;
        # absent once it is saved (hasattr() is then False)
        if self._local_data is None:
            raise AttributeError("_local_filepath")
        return self._local_data.path

    @property
    def _cache_path(self) -> Path:
        # LaminDB's local copy of the data: in the cache for a bucket, else the path itself
        if not self._state.adding and self.storage.is_cloud:
            return object_store.cache_path(self._storage_url(), process_settings.settings.cache_dir)
        return self.path

    def _storage_url(self) -> str:
        return object_store.join(self.storage.root, self._storage_key())

    def cache(self, is_run_input: bool | None = None) -> Path:
        """A local path to the data: ``path`` for local storage; for a bucket, a copy in the
        local cache (``ln.settings.cache_dir``), downloaded if it is not there.

        The cache is bounded and safe when two processes fill it at once
        (:func:`lamindb_core.object_store.cache`); a download shows a progress bar
        once it takes over a second.

        Args:
            is_run_input: Whether to record the artifact as an input of the run
                that ``ln.track()`` started (``artifact.input_of_runs``). ``None``
                (the default) records it if ``ln.settings.track_run_inputs`` is on
                and the artifact is not an output of that run.

        Raises:
            FileNotFoundError: the file is missing from storage.
            InvalidArgument: ``is_run_input=True`` and no run is tracked.

        Example:
            >>> artifact.cache()
            PosixPath('/home/me/mydata/.lamindb/7zehFvNzAqbgyKke0000.jpg')
        """
        if not self._state.adding and self.storage.is_cloud:
            path = bucket_files.cache(self._storage_url(), self.size, self.n_files is not None, repr(self))
            self._track_run_input(is_run_input)
            return path
        path = self.path
        if not path.exists():
            raise FileNotFoundError(f"the data of {self!r} is missing: {path}")
        self._track_run_input(is_run_input)
        return path

    def load(self, is_run_input: bool | None = None, **kwargs) -> Any:
        """Load the data into memory, by its suffix.

        A DataFrame for ``.parquet``, ``.csv`` and ``.tsv``; an AnnData for
        ``.h5ad`` and AnnData ``.zarr`` folders; a ``dict`` for ``.json`` and
        ``.yaml``; ``.html`` and images are shown in IPython (elsewhere, and for
        any other suffix, the local path is returned). An unsaved artifact made
        from an object in memory returns that object.

        Args:
            is_run_input: As in ``cache()``: whether the artifact becomes an input
                of the tracked run.
            **kwargs: Passed to the loader, e.g. ``pandas.read_csv``'s.

        Example:
            >>> ln.Artifact.get(key="iris/iris_collection.parquet").load().shape
            (150, 5)
        """
        if self._memory_rep is not None and self._state.adding:
            return self._memory_rep
        return loaders.load_to_memory(self.cache(is_run_input=is_run_input), self.suffix, **kwargs)

    def open(self, mode: str = "r", is_run_input: bool | None = None) -> Any:
        """Access the data without loading all of it.

        An ``.h5ad`` file opens as an AnnData in backed mode; an AnnData
        ``.zarr`` folder as an AnnData whose arrays zarr reads lazily; ``.h5``
        as an ``h5py.File``; a ``.parquet`` (or ``.csv``) file, or a folder of
        such files, as a ``pyarrow.dataset.Dataset``.

        Args:
            mode: ``"r"``: data in storage is read-only here.
            is_run_input: As in ``cache()``.

        Raises:
            ValueError: another suffix, or another mode.

        Example:
            >>> ln.Artifact.get(key="iris/iris_collection.parquet").open().files
            ['/home/me/mydata/.lamindb/7zehFvNzAqbgyKke0000.parquet']
        """
        if not self._state.adding and self.storage.is_cloud:
            # a bucket's data is opened from its copy in the cache
            access = loaders.open_backed(self.cache(is_run_input=False), self.suffix, mode)
        else:
            access = loaders.open_backed(self.path, self.suffix, mode)
        self._track_run_input(is_run_input)
        return access

    def _track_run_input(self, is_run_input: bool | None) -> None:
        # LaminDB's lineage: what a tracked run reads is its input (never its own output)
        provenance.record_inputs(self, is_run_input)

    @property
    def versions(self) -> ArtifactQuerySet:
        """All versions of this artifact (not those in the trash), oldest first.

        Example:
            >>> artifact.versions.df()
        """
        # creation order is version order; uid order is not on every collation
        return type(self).filter(uid__startswith=self.stem_uid).order_by("id")

    # -- saving and deleting -------------------------------------------------

    def save(self, *args, **kwargs) -> Artifact:
        """Save the artifact: store its data, then write its record.

        The data goes to ``<storage>/.lamindb/<uid><suffix>`` (to ``<storage>/<key>``
        for a real key; data registered where it lies stays there) under a temporary
        name and is renamed when complete. If the copy fails, no record is
        written; if the record cannot be written, the copy is removed. The copy
        is listed first in the storage's journal of saves in progress: if the
        process dies before the record is committed, the next save into the
        storage (or ``Storage.recover()``) removes it.

        Content that is already saved (same hash) is not saved again: this
        artifact becomes the existing one, with a message. New content under
        the key of a saved artifact (or with ``revises``) is a new version: the
        same uid stem with the next version suffix, and ``is_latest`` moves to
        it.

        Returns:
            The artifact.

        Example:
            >>> artifact = ln.Artifact("./reads.fastq.gz", key="raw/reads.fastq.gz").save()
            >>> ln.Artifact("./reads.fastq.gz", key="raw/reads.fastq.gz").save()
            ! returning existing artifact with same hash: Artifact(uid='...', ...)
        """
        for name in ("upload", "print_progress", "access_token"):  # LaminDB's, for cloud storage
            kwargs.pop(name, None)
        # before the lookups and the copy: a NUL in the key breaks PostgreSQL's query
        self._check_storable_many([self])
        self._fill_defaults()
        if not self._state.adding or self._local_data is None:
            created = self._state.adding
            if not created:
                self._check_location_unchanged()
            super().save(*args, **kwargs)
            self._saved_key_suffix = (self.key, self.suffix)
            if created and not self._state.adding:
                provenance.record_outputs([self])
            return self
        # the hash below finds same content: it must still be the data's
        self._local_data.check_unchanged()
        previous = None
        # PostgreSQL: content and key not found at construction: the INSERT checks them itself
        inserted = None if args or kwargs else artifact_lifecycle.store_if_new(self)
        if inserted is None:
            existing, found = artifact_lifecycle.same_content_or_key(self)
            if existing is not None:
                self._return_existing(existing)
                return self
            super()._check_required()
            previous = self._revises
            if previous is None and self.key is not None:
                previous = found
            if previous is not None:
                self.uid = self._next_version_uid(previous.stem_uid)
            # the insert itself, without BasicRecord.save's reuse of a record with the
            # same unique value: here a conflict must remove the copy
            inserted = artifact_lifecycle.store_and_insert(self, previous, lambda: self._insert_row(*args, **kwargs))
        if not inserted:
            return self
        self._saved_key_suffix = (self.key, self.suffix)
        provenance.record_outputs([self])
        if previous is not None:
            previous.is_latest = False
            logger.important(f"created version {self.uid[16:]} of artifact '{self.stem_uid}' (key {self.key!r})")
        artifact_batch.leave_cache(self)
        self._forget_local_data()
        return self

    def _insert_row(self, *args, **kwargs) -> None:
        # the INSERT of a new artifact's row, one statement without Django's save() machinery
        # around it; Django's where it is asked for more (using=...)
        if args or kwargs:
            super(BasicRecord, self).save(*args, **kwargs)
            return
        artifact_lifecycle.insert_row(self)

    def _check_location_unchanged(self) -> None:
        # a saved artifact's suffix, and a key that is the data's real path, say
        # where the data is: changing them would lose it (LaminDB's checks)
        artifact_lifecycle.check_location_unchanged(self)

    def _fill_defaults(self) -> None:
        # a new artifact without a storage goes to the instance's
        if self._state.adding and self.storage_id is None:
            self.storage = self._default_storage()

    @classmethod
    def _fill_defaults_many(cls, artifacts: list[Artifact]) -> None:
        # _fill_defaults of the artifacts without a storage id, read from their attributes: a
        # call per artifact, through the id's descriptor, was 1.4M instructions for 500 files
        if cls._fill_defaults is not Artifact._fill_defaults:
            super()._fill_defaults_many(artifacts)
            return
        for artifact in artifacts:
            if artifact.__dict__.get("storage_id") is None:
                artifact._fill_defaults()

    def _saves_alone(self) -> bool:
        # an artifact with data copies its file when saved: ln.save() hands it to
        # _save_alone_many
        return self._state.adding and self._local_data is not None

    @classmethod
    def _alone_among(cls, artifacts: list[Artifact]) -> list[Artifact]:
        # _saves_alone of each, read from their attributes, without a call per artifact
        if cls._saves_alone is not Artifact._saves_alone:
            return super()._alone_among(artifacts)
        return [a for a in artifacts if a.__dict__.get("_local_data") is not None and a._state.adding]

    @classmethod
    def _prepare_alone_many(cls, artifacts: list[Artifact], saved: list) -> Callable[[bool], None]:
        """``ln.save``'s first step for new artifacts with data, before its transaction:
        see :func:`lamindb_core.models.artifact_batch.prepare`."""
        return artifact_batch.prepare(cls, artifacts, saved)

    @classmethod
    def _save_alone_many(cls, artifacts: list[Artifact], saved: list) -> None:
        """``ln.save``'s second step, in its transaction, after ``_prepare_alone_many``:
        the batch of artifacts whose files are stored is inserted in bulk, the
        others are saved one by one, in their order.
        """
        artifact_batch.insert(cls, artifacts, saved)

    def _after_bulk_save(self) -> None:
        self.__dict__.pop("_defer_forget", None)
        self.__dict__.pop("_stored_copy", None)
        # ln.save() resolved the cache folder once for all its artifacts
        artifact_batch.leave_cache(self, self.__dict__.pop("_cache_folder", None))
        self._forget_local_data()

    def _discard_after_rollback(self) -> None:
        # ln.save() failed after this artifact stored its file: remove the file
        # unless the record exists (then the file is an existing artifact's)
        # (the stored copy: never the data it was made from)
        # (data registered where it lies is the user's: never removed)
        if self.uid and not type(self).objects.filter(uid=self.uid).exists():
            if self._stores_managed_copy():
                files.remove_path(self._storage_path())
            elif "_stored_copy" in self.__dict__:
                files.remove_path(self.__dict__.pop("_stored_copy"))

    def _expected(self) -> tuple[int, str]:
        # what the stored copy must be: the recorded size and hash
        return self.size, self.hash

    def _storage_key(self) -> str:
        # the data's key in its storage: the key itself, or .lamindb/<uid><suffix>
        if self.key is not None and not self._key_is_virtual:
            return self.key
        return storage_paths.auto_storage_key(self.uid, self.suffix)

    def _storage_path(self) -> Any:
        # where the data is once saved: the managed copy, or the key's path; a UPath in a bucket
        if self.storage.is_cloud:
            return object_store.upath(object_store.join(self.storage.root, self._storage_key()))
        return Path(self.storage.root).joinpath(*self._storage_key().split("/"))

    def _stores_managed_copy(self) -> bool:
        # whether save() copies the data to .lamindb/<uid><suffix> (journaled);
        # else it stays where it is in a registered storage, or goes to its key
        return self.key is None or self._key_is_virtual

    def _next_version_uid(self, stem: str) -> str:
        uids = type(self).objects.filter(uid__startswith=stem).values_list("uid", flat=True)
        # base62 digits are in ASCII order, so the largest string is the latest
        # version; the startswith check again because SQLite's LIKE ignores case
        last = max(uid[16:] for uid in uids if uid.startswith(stem))
        return stem + increment_base62(last)

    def _return_existing(self, existing: Artifact) -> None:
        note = "; it is in the trash: call .restore() to bring it back" if existing._branch_code == -1 else ""
        logger.warning(f"returning existing artifact with same hash: {existing!r}{note}")
        self._adopt(existing)
        self._forget_local_data()

    def _forget_local_data(self) -> None:
        if self.__dict__.get("_defer_forget"):
            return
        self.__dict__.pop("_stored_copy", None)
        self._memory_rep = None
        if self._release_temp is not None:
            self._release_temp()
            self._release_temp = None
        self._local_data = None
        self._revises = None

    # -- trash, restore, delete, and the latest version ------------------------
    #
    # In each version family (the 16-character uid stem) exactly one member has
    # is_latest: the newest by creation (highest id) that is not in the trash, or
    # the newest one if all are in the trash. A partial unique index holds at most
    # one; delete(), restore() and save() keep it at one.

    @classmethod
    def _settle_latest(cls, stem: str) -> int | None:
        """Mark the family's latest version by the rule above; return its id (None
        if the family has no member left). Call it inside a transaction."""
        return artifact_lifecycle.settle_latest(cls, stem)

    @classmethod
    def _unmark_latest(cls, stem: str) -> None:
        """Before a new version of the family is inserted (inside its transaction):
        no member is the latest any more."""
        artifact_lifecycle.unmark_latest(cls, stem)

    def _owns_file(self) -> bool:
        """Whether the current instance manages the storage of this artifact's file."""
        return self.storage.instance_uid == current_instance().uid

    def delete(self, permanent: bool | None = None, storage: bool | None = None, using_key: str | None = None) -> None:
        """Move the artifact to the trash, or delete it for good.

        The first call moves it to the trash (``_branch_code = -1``): queries no
        longer show it and its file stays, so ``restore()`` brings it back.
        ``delete(permanent=True)`` deletes the record and then, as ``storage``
        says, the data; the data goes when the transaction commits, so a
        rolled-back delete keeps both.

        The data (``storage``): a managed copy goes unless ``storage=False``; a
        file registered where it lay (or stored at its key) stays unless
        ``storage=True``; see :func:`~lamindb_core.models.artifact_lifecycle.delete_for_good`.

        If it was the latest version, the newest version not in the trash
        becomes the latest. ``ln.Artifact.filter(...).delete(permanent=...)``
        does the same for each artifact of the query, in one transaction.

        Args:
            permanent: True deletes for good, even if the artifact is not in the
                trash.
            storage: Whether to delete the data as well (see above); ignored
                when moving to the trash.
            using_key: LaminDB's instance argument; only ``None`` is supported.

        Raises:
            ln.errors.ValidationError: other records still point to it (when
                deleting for good); nothing is deleted.
            ln.errors.IntegrityError: ``storage=True`` for data in a storage that
                another instance (or none) manages; nothing is deleted.

        Example:
            >>> artifact.delete()                 # to the trash
            >>> artifact.restore()                # back
            >>> artifact.delete(permanent=True)   # record and file are gone
        """
        if self._state.adding:
            raise errors.InvalidArgument(f"{self!r} is not saved: there is nothing to delete")
        if using_key is not None:
            raise errors.InvalidArgument("delete(using_key=...) is not supported: delete in the current instance")
        if not permanent:
            if storage is not None:
                logger.warning("moving artifact to trash, storage arg is ignored")
            artifact_lifecycle.set_trashed(self, True)
            return
        artifact_lifecycle.delete_for_good(type(self), [self], storage)

    @classmethod
    def _delete_many(cls, artifacts: ArtifactQuerySet, permanent: bool | None = None) -> None:
        # QuerySet.delete(): what delete() does for each artifact; for good, in a fixed number
        # of queries (a query per artifact and related table made deleting 500 take seconds)
        if not permanent:
            for artifact in artifacts:
                artifact.delete()
            return
        artifact_lifecycle.delete_for_good(cls, list(artifacts.select_related("storage")), None)

    def restore(self) -> None:
        """Bring the artifact back from the trash.

        Which version is the latest afterwards follows one rule: the newest
        version (by creation) that is not in the trash. Restoring the newest
        version makes it the latest again; restoring an older one leaves the
        latest where it is, with a message.

        Example:
            >>> artifact.delete()
            >>> artifact.restore()
        """
        if self._state.adding:
            raise errors.InvalidArgument(f"{self!r} is not saved: there is nothing to restore")
        artifact_lifecycle.set_trashed(self, False)

    # -- annotations -----------------------------------------------------------

    features = FeaturesDescriptor()
    """Feature values: ``artifact.features.add_values({...})``, ``.get_values()``,
    ``.remove_values(...)``; on the class, ``ln.Artifact.features.add_values({artifact: {...}})``
    annotates many artifacts at once."""

    labels = LabelsDescriptor()
    """Labels: ``artifact.labels.add(records, feature=...)``, ``artifact.labels.get(feature)``."""

    # LaminDB 1.0's name of feature_sets (helper B, issue 13): artifact._schemas_m2m,
    # ln.Artifact.filter(_schemas_m2m__features__name=...), df(include="_schemas_m2m__hash")
    _field_aliases = {"_schemas_m2m": "feature_sets"}

    params = ParamsDescriptor()
    """Params of a model (``kind="model"``): ``artifact.params.add_values({...})``, ``.get_values()``."""

    @property
    def _schemas_m2m(self):
        """The schemas (feature sets) of the artifact: ``feature_sets``, by LaminDB 1.0's name."""
        return self.feature_sets

    def describe(self, return_str: bool = False) -> str | None:
        """Print the artifact's fields, provenance, features with dtypes and values, and labels.

        Args:
            return_str: Return the text instead of printing it.

        Example:
            >>> artifact.describe()
            Artifact .h5ad · AnnData
            ├── General
            │   ├── .uid = 'jGN3p3eaCksf7tPQ0000'
            ...
        """
        text = artifact_tree(self)
        if return_str:
            return text
        print(text)
        return None

    def view_lineage(self, with_children: bool = True, distance: int = 5) -> lineage.LineageGraph:
        """The artifact's lineage graph: see :func:`lamindb_core.lineage.graph`.

        Example:
            >>> artifact.view_lineage()          # SVG in Jupyter, text in a terminal
        """
        return lineage.graph(self, with_children=with_children, distance=distance)

    @staticmethod
    def _default_storage() -> Storage:
        # where new artifacts go: ln.settings.storage (the instance's folder by default)
        return process_settings.settings.storage_record()

    # Registry.using(...) then save(): the data is copied into this instance's storage
    _prepare_transfer = artifact_lifecycle.prepare_transfer
