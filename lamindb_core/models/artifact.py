"""``Artifact``: files, folders and in-memory datasets, with their link tables."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Case, Q, When
from django.db.models.functions import Substr

from .. import errors, files, process_settings, progress, recovery
from ..context import context, current_run_id
from ..dataframe import queryset_to_df
from ..instance import current_instance, current_storage
from ..logger import logger
from ..query import RecordQuerySet
from ..uids import base62_16_v0, increment_base62
from . import artifact_batch
from .annotations import FeaturesDescriptor, features_table
from .describe import artifact_tree
from .labels import LabelsDescriptor
from .param import ParamsDescriptor
from .record import (
    FEATURE_REF_IS_NAME_HELP, ID_HELP, LABEL_REF_IS_NAME_HELP, LINK_FEATURE_HELP, BasicRecord, IsVersioned, Record,
    TracksRun, TracksUpdates,
)
from .storage import Storage


class ArtifactQuerySet(RecordQuerySet):
    """The QuerySet of ``Artifact``: ``df(features=...)`` adds a column per feature.

    Every query of artifacts is one, also through a related manager
    (``ulabel.artifacts.df(features=True)``).
    """

    supports_features = True
    """Whether ``df(features=...)`` works: for artifacts, yes."""

    def df(self, include: str | list[str] | None = None, features: bool | list[str] = False):
        """The artifacts as a ``pandas.DataFrame``, with a column per feature if asked.

        Args:
            include: Related fields to add as columns, as for any registry.
            features: ``True`` for every feature that one of the artifacts has, or
                a list of feature names. A cell is the set of values the artifact
                has (labels by name), NaN where it has none. The first four
                columns of the artifact come first; the dtypes of the features go
                to ``df.attrs["feature_dtypes"]``.

        Raises:
            ln.errors.FieldValidationError: an unknown feature name; the message
                names the closest one.

        Example:
            >>> ln.Artifact.filter(suffix=".h5ad").df(features=["cell_medium", "temperature"])
        """
        if not features:
            return super().df(include=include)
        df = queryset_to_df(self, include=include, short=True)
        if len(df):  # an empty table gets no feature columns, as before any artifact exists
            df = features_table(df, self, features)
        return self._scored(df)


class ArtifactManager(models.Manager.from_queryset(ArtifactQuerySet)):
    """The default manager of ``Artifact`` (``Artifact.objects``)."""


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

    # fields that ln.Artifact(data, ...) computes and does not take
    _COMPUTED_FIELDS = frozenset({"suffix", "size", "hash", "_hash_type", "n_files"})
    # Set on artifacts made from data, until they are saved. Class attributes, so
    # that records loaded from the database have them too.
    _local_data: files.LocalData | None = None
    _revises: Artifact | None = None
    _release_temp: Any = None

    def __init__(self, *args, **kwargs):
        """Create an artifact from a file, a folder, a DataFrame or an AnnData.

        Args:
            data: A local file or folder path (``str`` or ``Path``), a
                ``pandas.DataFrame`` (stored as ``.parquet``) or an ``AnnData``
                (stored as ``.h5ad``).
            key: A path-like key, such as ``"images/my_image.jpg"``.
            description: A description.
            run: The run that creates it; the tracked run by default.
            revises: An artifact of which this is a new version.
            **fields: Other fields, such as ``version="2"`` or ``kind="model"``.

        The data's ``suffix``, ``size``, ``hash``, ``n_files``, ``kind``,
        ``otype`` and ``n_observations`` are computed here; nothing is written
        to storage or to the database until ``save()``.

        Without data, keywords create a bare record (``storage`` then defaults
        to the instance's storage when it is saved).

        Raises:
            FileNotFoundError: the path does not exist.
            ln.errors.InvalidArgument: the data is of another type, or a computed
                field is passed as well.

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
        if len(args) > 1 or (args and "data" in kwargs):
            raise errors.InvalidArgument(
                "ln.Artifact takes one positional argument, the data: "
                "ln.Artifact(data, key=..., description=...)"
            )
        data = args[0] if args else kwargs.pop("data")
        revises = kwargs.pop("revises", None)
        computed = sorted(set(kwargs) & self._COMPUTED_FIELDS)
        if computed:
            raise errors.InvalidArgument(
                f"{', '.join(computed)} {'is' if len(computed) == 1 else 'are'} computed from the data; "
                "do not pass them to ln.Artifact(data, ...)"
            )
        if revises is not None:
            if not isinstance(revises, Artifact) or revises._state.adding:
                raise errors.InvalidArgument(f"revises expects a saved Artifact, got {revises!r}")
            kwargs.setdefault("key", revises.key)
            kwargs.setdefault("description", revises.description)
        if kwargs.get("storage") is None and kwargs.get("storage_id") is None:
            kwargs["storage"] = self._default_storage()
        storage = kwargs.get("storage")
        local = files.describe_data(data, storage_root=Path(storage.root) if storage is not None else None)
        if local.is_temporary:
            # an unsaved artifact of an in-memory object leaves no file behind
            self._release_temp = weakref.finalize(self, files.remove_path, local.path)
        fields = {**local.fields, "_key_is_virtual": True, **kwargs}
        super().__init__(**fields)
        self._local_data = local
        self._revises = revises

    @classmethod
    def from_df(cls, df: Any, key: str | None = None, description: str | None = None, **kwargs) -> Artifact:
        """Create an artifact from a ``pandas.DataFrame``, stored as a parquet file.

        Args:
            df: The DataFrame.
            key: A path-like key, such as ``"iris/iris_collection.parquet"``.
            description: A description.
            **kwargs: ``run``, ``revises`` and other fields, as for ``ln.Artifact``.

        Raises:
            ln.errors.InvalidArgument: ``df`` is not a DataFrame.

        Example:
            >>> ln.Artifact.from_df(datasets.df_iris(), key="iris/iris_collection.parquet").save()
        """
        if not files.is_dataframe(df):
            raise errors.InvalidArgument(
                f"Artifact.from_df() expects a pandas DataFrame, got {type(df).__name__}"
                + (": use Artifact.from_anndata()" if files.is_anndata(df) else "")
            )
        return cls(df, key=key, description=description, **kwargs)

    @classmethod
    def from_anndata(cls, adata: Any, key: str | None = None, description: str | None = None, **kwargs) -> Artifact:
        """Create an artifact from an ``AnnData``, stored as an ``.h5ad`` file.

        Args:
            adata: The AnnData.
            key: A path-like key, such as ``"example_datasets/dataset1.h5ad"``.
            description: A description.
            **kwargs: ``run``, ``revises`` and other fields, as for ``ln.Artifact``.

        Raises:
            ln.errors.InvalidArgument: ``adata`` is not an AnnData.

        Example:
            >>> adata = datasets.small_dataset1(format="anndata")
            >>> ln.Artifact.from_anndata(adata, key="example_datasets/dataset1.h5ad").save()
        """
        if not files.is_anndata(adata):
            raise errors.InvalidArgument(
                f"Artifact.from_anndata() expects an AnnData, got {type(adata).__name__}"
                + (": use Artifact.from_df()" if files.is_dataframe(adata) else "")
            )
        return cls(adata, key=key, description=description, **kwargs)

    # -- where the data is ---------------------------------------------------

    @property
    def stem_uid(self) -> str:
        """The first 16 characters of ``uid``, shared by all versions."""
        return self.uid[:16]

    @property
    def path(self) -> Path:
        """Where the data is: the stored file or folder, ``<storage>/.lamindb/<uid><suffix>``.

        Before the artifact is saved, this is the local file it was made from.

        Example:
            >>> artifact.path
            PosixPath('/home/me/mydata/.lamindb/7zehFvNzAqbgyKke0000.jpg')
        """
        if self._state.adding and self._local_data is not None:
            return self._local_data.path
        return self._storage_path()

    def cache(self, is_run_input: bool | None = None) -> Path:
        """A local path to the data. Storage is local here, so this is ``path``.

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
        path = self.path
        if not path.exists():
            raise FileNotFoundError(f"the data of {self!r} is missing: {path}")
        self._track_run_input(is_run_input)
        return path

    def load(self, is_run_input: bool | None = None) -> Any:
        """Load the data: a DataFrame for ``.parquet`` and ``.csv``, an AnnData
        for ``.h5ad``, and the local path for anything else.

        Args:
            is_run_input: As in ``cache()``: whether the artifact becomes an input
                of the tracked run.

        Example:
            >>> ln.Artifact.get(key="iris/iris_collection.parquet").load().shape
            (150, 5)
        """
        return files.load_file(self.cache(is_run_input=is_run_input), self.suffix)

    def _track_run_input(self, is_run_input: bool | None) -> None:
        # LaminDB's lineage: data that a tracked run reads is an input of the run,
        # unless the run made it (an output cannot be its own run's input) or it
        # is not saved yet (it has no row to link)
        run = context.run
        if is_run_input is True and run is None:
            raise errors.InvalidArgument("is_run_input=True needs a run: call ln.track() first")
        if is_run_input is False or run is None or self._state.adding or self.run_id == run.id:
            return
        if is_run_input is None and not process_settings.settings.track_run_inputs:
            return
        self.input_of_runs.add(run)

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
        """Save the artifact: copy its data into storage, then write its record.

        The data goes to ``<storage>/.lamindb/<uid><suffix>`` under a temporary
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
        # before the lookups and the copy: a NUL in the key breaks PostgreSQL's query
        self._check_storable_many([self])
        self._fill_defaults()
        if not self._state.adding or self._local_data is None:
            return super().save(*args, **kwargs)
        # the hash below finds same content: it must still be the data's
        self._local_data.check_unchanged()
        cls = type(self)
        # one query for both: the same content (in the trash too), and the latest
        # version under this key
        wanted = Q(hash=self.hash)
        if self._revises is None and self.key is not None:
            # the latest version is in the trash only if all versions are: new
            # content under its key is still its next version
            wanted |= Q(key=self.key, is_latest=True)
        same_content_first = Case(When(hash=self.hash, then=0), default=1)
        in_use_first = Case(When(_branch_code=-1, then=1), default=0)
        found = list(cls.objects.filter(wanted).order_by(same_content_first, in_use_first, "-created_at", "-id")[:1])
        existing = next((a for a in found if a.hash == self.hash), None)
        if existing is not None:
            self._return_existing(existing)
            return self
        super()._check_required()
        previous = self._revises
        if previous is None and self.key is not None:
            previous = next((a for a in found if a.key == self.key), None)
        if previous is not None:
            self.uid = self._next_version_uid(previous.stem_uid)
        # ln.save() opens the journal of its files; a save on its own, its own
        journal = self.__dict__.get("_journal")
        own_journal = journal is None
        if own_journal:
            journal = artifact_batch.open_journal(self.storage)
        committed = False
        try:
            dest = self._store_data(journal, is_version=previous is not None)
            try:
                with transaction.atomic():
                    if previous is not None:
                        cls._unmark_latest(previous.stem_uid)
                    # the insert itself, without BasicRecord.save's reuse of a record
                    # with the same unique value: here a conflict must remove the copy
                    super(BasicRecord, self).save(*args, **kwargs)
            except IntegrityError as exc:
                self._state.adding, self.pk = True, None
                files.remove_path(dest)
                existing = cls.objects.filter(hash=self.hash).first()
                if existing is None:
                    raise errors.ValidationError(f"cannot save {self!r}: {exc}") from exc
                self._return_existing(existing)
                return self
            except BaseException:
                self._state.adding, self.pk = True, None
                files.remove_path(dest)
                raise
            committed = True
        finally:
            if own_journal:
                recovery.end_journal(journal, committed)
        if previous is not None:
            previous.is_latest = False
            logger.important(f"created version {self.uid[16:]} of artifact '{self.stem_uid}' (key {self.key!r})")
        self._forget_local_data()
        return self

    def _fill_defaults(self) -> None:
        # a new artifact without a storage goes to the instance's
        if self._state.adding and self.storage_id is None:
            self.storage = self._default_storage()

    def _saves_alone(self) -> bool:
        # an artifact with data copies its file when saved: ln.save() hands it to
        # _save_alone_many
        return self._state.adding and self._local_data is not None

    @classmethod
    def _prepare_alone_many(cls, artifacts: list[Artifact], saved: list) -> Callable[[bool], None]:
        """``ln.save``'s first step for new artifacts with data, before it opens its
        transaction: the lookups (hash, key) and the file copies, so that no write
        lock is held while files are copied (SQLite's is the whole database's).

        Artifacts with new content and a new key (the usual case) are copied in
        batches to their paths, and inserted in bulk by ``_save_alone_many``.
        Artifacts whose content is saved already, that are new versions (a saved
        key, ``revises``) or that repeat a key or content of an earlier one in the
        list are saved one by one in the transaction, in their order, so that each
        sees the ones before it, as a loop of ``save()`` would; those with new
        content are copied here under a temporary name, which ``save()`` renames.
        Each artifact whose file is stored is appended to ``saved`` at once, so
        that ``ln.save`` can remove the file if the transaction fails later.

        The files are listed in a journal per storage (``lamindb_core.recovery``)
        before they are created. Returns the function that ``ln.save`` calls when
        its transaction has ended (``True``: committed), which removes unused
        temporary copies and ends the journals.
        """
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
        self._forget_local_data()

    def _discard_after_rollback(self) -> None:
        # ln.save() failed after this artifact stored its file: remove the file
        # unless the record exists (then the file is an existing artifact's)
        # (the stored copy: never the data it was made from)
        if self.uid and not type(self).objects.filter(uid=self.uid).exists():
            files.remove_path(self._storage_path())
    def _store_data(self, journal: recovery.Journal, is_version: bool) -> Path:
        # copy the data to its path in storage (or rename the copy that ln.save()
        # made before its transaction); returns that path
        staged = self.__dict__.pop("_staged", None)
        while True:
            dest = self._storage_path()
            journal.add([dest.name])
            try:
                if staged is not None:
                    files.publish(staged, dest)
                else:
                    # a bar in bytes once the copy takes over a second, as for ln.save()
                    with progress.progress(self.size, artifact_batch.copying([self]), unit="B") as bar:
                        files.store_atomic(
                            self._local_data.path, dest, self._expected(), tag=journal.id, on_bytes=bar.update
                        )
                return dest
            except FileExistsError:
                if not dest.exists():
                    raise  # about a parent folder, not this uid
                # another process's version with this uid, or what a rolled-back
                # save left: both stay, this artifact takes the next free uid
                self.uid = self.uid[:16] + increment_base62(self.uid[16:]) if is_version else base62_16_v0()

    def _expected(self) -> tuple[int, str]:
        # what the stored copy must be: the recorded size and hash
        return self.size, self.hash

    def _storage_path(self) -> Path:
        # where save() puts the data
        return Path(self.storage.root) / ".lamindb" / f"{self.uid}{self.suffix}"

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
        # FOR UPDATE (PostgreSQL): a concurrent save or restore of this family
        # waits until this transaction is committed
        rows = cls.objects.select_for_update().filter(uid__startswith=stem).values_list(
            "pk", "uid", "_branch_code", "is_latest"
        )
        # startswith again: SQLite's LIKE ignores case
        members = [row for row in rows if row[1].startswith(stem)]
        if not members:
            return None
        latest = max(members, key=lambda row: (row[2] != -1, row[0]))[0]
        stale = [row[0] for row in members if row[3] and row[0] != latest]
        if stale:  # first: the index allows one latest at any moment
            cls.objects.filter(pk__in=stale).update(is_latest=False)
        if not any(row[0] == latest and row[3] for row in members):
            cls.objects.filter(pk=latest).update(is_latest=True)
        return latest

    @classmethod
    def _unmark_latest(cls, stem: str) -> None:
        """Before a new version of the family is inserted (inside its transaction):
        no member is the latest any more."""
        # Lock the latest row first (PostgreSQL; SQLite's transactions are
        # IMMEDIATE, so writers wait at BEGIN). A save that waits here for another
        # one's new version then runs the UPDATE after that commit, so it sees
        # that version and unmarks it too: one latest, no unique violation.
        list(cls.objects.select_for_update().filter(uid__startswith=stem, is_latest=True).values_list("pk"))
        cls.objects.filter(uid__startswith=stem, is_latest=True).update(is_latest=False)

    def _owns_file(self) -> bool:
        """Whether the current instance manages the storage of this artifact's file."""
        return self.storage.instance_uid == current_instance().uid

    def delete(self, permanent: bool | None = None) -> None:
        """Move the artifact to the trash, or delete it for good.

        The first call moves it to the trash (``_branch_code = -1``): queries no
        longer show it and its file stays, so ``restore()`` brings it back.
        ``delete(permanent=True)`` deletes the record and then the stored file;
        the file goes when the transaction commits, so a rolled-back delete
        keeps both.

        A file in a storage that another instance manages (an artifact
        transferred with ``Registry.using(...)``) is never removed: only the
        record is deleted, with a warning.

        If it was the latest version, the newest version not in the trash
        becomes the latest.

        ``ln.Artifact.filter(...).delete(permanent=...)`` does the same for each
        artifact of the query, in one transaction.

        Args:
            permanent: True deletes for good, even if the artifact is not in the
                trash.

        Raises:
            ln.errors.ValidationError: other records still point to it (when
                deleting for good); nothing is deleted.

        Example:
            >>> artifact.delete()                 # to the trash
            >>> artifact.restore()                # back
            >>> artifact.delete(permanent=True)   # record and file are gone
        """
        if self._state.adding:
            raise errors.InvalidArgument(f"{self!r} is not saved: there is nothing to delete")
        cls = type(self)
        if not permanent:
            if self._branch_code == -1:
                logger.warning(
                    f"{self!r} is in the trash already; delete(permanent=True) deletes it for good"
                )
                return
            with transaction.atomic():
                self._branch_code = -1
                try:
                    self.save(update_fields=["_branch_code", "updated_at"])
                    latest = cls._settle_latest(self.stem_uid)
                except BaseException:
                    self._branch_code = 1
                    raise
            self.is_latest = latest == self.pk
            logger.important(f"moved artifact '{self.uid}' to the trash; .restore() brings it back")
            return
        path = self._storage_path()
        owned = self._owns_file()
        with transaction.atomic():
            super().delete()
            cls._settle_latest(self.stem_uid)
        if owned:
            # the file outlives the record only until the deletion is committed
            transaction.on_commit(lambda: files.remove_path(path))
        else:
            logger.warning(
                f"deleted the record only: the file of artifact '{self.uid}' stays, {path}: its storage "
                f"{self.storage.root} is managed by instance {self.storage.instance_uid!r}, not by this one"
            )

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
        cls = type(self)
        previous = self._branch_code
        with transaction.atomic():
            self._branch_code = 1
            try:
                self.save(update_fields=["_branch_code", "updated_at"])
                latest = cls._settle_latest(self.stem_uid)
            except BaseException:
                self._branch_code = previous
                raise
        self.is_latest = latest == self.pk
        if not self.is_latest:
            newer = cls.objects.filter(pk=latest).values_list("uid", flat=True).first()
            logger.important(
                f"restored artifact '{self.uid}'; the latest version stays the newer '{newer}'"
            )
        else:
            logger.important(f"restored artifact '{self.uid}'")

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

    @staticmethod
    def _default_storage() -> Storage:
        # the Storage row of the current instance's folder, added on connect
        return current_storage()


class ArtifactULabel(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``ULabel``, and to the feature it was added for."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(
        Artifact, models.CASCADE, related_name="links_ulabel",
        help_text="The labeled artifact.",
    )
    ulabel = models.ForeignKey("core.ULabel", models.PROTECT, related_name="links_artifact", help_text="The label.")
    feature = models.ForeignKey(
        "core.Feature", models.PROTECT, null=True, blank=True, default=None, related_name="links_artifactulabel",
        help_text=LINK_FEATURE_HELP,
    )
    label_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=LABEL_REF_IS_NAME_HELP)
    feature_ref_is_name = models.BooleanField(null=True, blank=True, default=None, help_text=FEATURE_REF_IS_NAME_HELP)

    class Meta:
        unique_together = ("artifact", "ulabel", "feature")


class ArtifactFeatureSet(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``FeatureSet``; ``slot`` says which part (``var``, ``obs``)."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(Artifact, models.CASCADE, related_name="links_feature_set", help_text="The artifact.")
    featureset = models.ForeignKey(
        "core.FeatureSet", models.PROTECT, related_name="links_artifact",
        help_text="A feature set that the artifact measures.",
    )
    slot = models.CharField(
        max_length=40, null=True, blank=True, default=None,
        help_text="The part of the artifact that the set describes: 'columns' of a DataFrame, 'var' or 'obs' of an "
        "AnnData.",
    )
    feature_ref_is_semantic = models.BooleanField(
        null=True, blank=True, default=None,
        help_text="Whether the data names the members by a name or symbol (True) or by an id (False); None if unknown.",
    )

    class Meta:
        unique_together = ("artifact", "featureset")


class ArtifactFeatureValue(BasicRecord, TracksRun):
    """Links an ``Artifact`` to a ``FeatureValue``."""

    _is_link_table = True

    id = models.BigAutoField(primary_key=True, help_text="Integer id of the link.")
    artifact = models.ForeignKey(Artifact, models.CASCADE, related_name="links_featurevalue", help_text="The artifact.")
    featurevalue = models.ForeignKey(
        "core.FeatureValue", models.PROTECT, related_name="links_artifact",
        help_text="A value of a feature that the artifact has.",
    )

    class Meta:
        unique_together = ("artifact", "featurevalue")
