"""``ln.track()``, ``ln.finish()`` and ``ln.context``: record which notebook or script created the data.

``ln.context`` is the ``Context`` of this module, as in LaminDB 1.0: set
``ln.context.version`` (or ``uid``, ``description``) before ``ln.track()``, read
``ln.context.transform`` and ``ln.context.run`` after it. Its state (the run
that records saved now point to) lives in ``lamindb_core.context``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from django.utils import timezone

from .. import errors
from ..context import context as state
from ..context import current_run_id
from ..instance import current_user_id
from ..logger import logger
from ..uids import base62_12
from .run import Run
from .run_report import hash_text, read_source, save_source_and_report
from .transform import Transform, update_key_note

__all__ = ["Context", "context", "track", "finish"]

MSG_PATH_FAILED = "failed to infer notebook path.\nfix: pass `path` to `ln.track()`"


def _ipython_shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _notebook_path(shell) -> Path | None:
    # JupyterLab and Notebook 7 tell the kernel its notebook through these
    candidates = [os.environ.get("JPY_SESSION_NAME"), shell.user_ns.get("__session__")]
    candidates.append(shell.user_ns.get("__vsc_ipynb_file__"))
    for candidate in candidates:
        if candidate and str(candidate).endswith(".ipynb"):
            path = Path(candidate)
            return path if path.is_absolute() else Path.cwd() / path
    return None


def notebook_title(path: Path) -> str | None:
    """The title of a notebook: its first markdown heading ``# Title``, or None."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", [])
            source = "".join(source) if isinstance(source, list) else source
            for line in source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def _script() -> tuple[Path | None, str | None]:
    """The script that runs this process, and its key (``python -m pkg``: the package)."""
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if not script:
        return None, None
    path = Path(script).resolve()
    key = path.name
    spec = getattr(main, "__spec__", None)
    if path.name == "__main__.py" and spec is not None and spec.name:
        key = spec.name.removesuffix(".__main__")
    return path, key


def bump_version(version: str) -> str:
    """The next minor version: ``"1"`` → ``"1.1"``, ``"1.2"`` → ``"1.3"``; or ``version + ".1"``."""
    parts = version.split(".")
    try:
        return f"{int(parts[0])}.{(int(parts[1]) if len(parts) > 1 else 0) + 1}"
    except ValueError:
        return f"{version}.1"


def _state_attribute(name: str, doc: str | None = None) -> property:
    # the context's state lives in lamindb_core.context, which the models read
    return property(lambda self: getattr(state, name), lambda self, value: setattr(state, name, value), doc=doc)


class Context:
    """What ``ln.track()`` tracks: the transform (notebook, script, pipeline) and its run.

    Set ``uid``, ``version`` or ``description`` before ``ln.track()`` to choose
    them; ``transform`` and ``run`` are the tracked records afterwards.

    Example:
        >>> ln.context.version = "2"
        >>> ln.track("Ro1gl7n8YrdH0001")
        >>> ln.context.transform.version
        '2'
    """

    # Django's migrations name the default of every run field lamindb_core.context.current_run_id,
    # and lamindb_core.context is this object (ln.context) once the package is imported
    current_run_id = staticmethod(current_run_id)

    _uid = _state_attribute("uid")
    _version = _state_attribute("version")
    _description = _state_attribute("description")
    _path = _state_attribute("path", "The notebook or script that runs, if known.")
    _key = _state_attribute("key")
    _source = _state_attribute("source")
    _transform = _state_attribute("transform")
    _run = _state_attribute("run")

    def __init__(self) -> None:
        self._logging_message_track = ""

    # -- what users set and read ------------------------------------------------

    @property
    def transform(self) -> Transform | None:
        """The tracked transform, or None."""
        return state.transform

    @property
    def run(self) -> Run | None:
        """The tracked run, or None: records saved now point to it."""
        return state.run

    @property
    def uid(self) -> str | None:
        """The uid of the transform that ``ln.track()`` tracks next (16 characters)."""
        return self._uid

    @uid.setter
    def uid(self, value: str | None) -> None:
        self._uid = value

    @property
    def version(self) -> str | None:
        """The version of the transform that ``ln.track()`` tracks next."""
        return self._version

    @version.setter
    def version(self, value: str | None) -> None:
        self._version = value

    @property
    def description(self) -> str | None:
        """The description of the transform that ``ln.track()`` tracks next (else the title or file name)."""
        return self._description

    @description.setter
    def description(self, value: str | None) -> None:
        self._description = value

    @property
    def name(self) -> str | None:
        """LaminDB 0.x's name of ``description``."""
        return self._description

    @name.setter
    def name(self, value: str | None) -> None:
        self._description = value

    def reset(self) -> None:
        """Forget the tracked transform and run, and what was set for the next ``track()``."""
        state.reset()

    # -- tracking ------------------------------------------------------------

    def track(self, transform: str | Transform | None = None, *, params: dict | None = None,
              new_run: bool | None = None, path: str | None = None, log_to_file: bool | None = None,
              key: str | None = None, description: str | None = None) -> None:
        """Track the running notebook or script: a ``Transform`` and a ``Run``.

        Records saved afterwards point to the run through their ``run`` field.

        Args:
            transform: A transform uid (16 characters, or a 12-character stem), or
                a ``Transform`` record of type ``pipeline`` or ``function``.
                Without it, the transform is found by the file's key, or created.
            params: Parameters of the run (needs ``ln.Param`` records).
            new_run: Start a new run (default for scripts) or re-start the
                latest one of this user (default for notebooks).
            path: The notebook's or script's path, if it cannot be detected.
            log_to_file: Accepted for LaminDB 1.0; output is not captured.
            key: Override the detected file name.
            description: Override the detected title.

        Raises:
            ln.errors.ValidationError: the uid has another length.
            ln.errors.UpdateContextError: the uid belongs to a transform of another
                file, or the version is taken or inconsistent; nothing is saved.
            ValueError: a ``Transform`` of type notebook or script is passed.

        Example:
            >>> ln.track("pd7UR7Z8hoTq0000")
            → created Transform('pd7UR7Z8hoTq0000'), started new Run('2ZeiNvhz...') at 2025-01-12 14:05:47 UTC
        """
        self._logging_message_track = ""
        self._key = None
        self._source = {}
        if isinstance(transform, str):
            if len(transform) not in (12, 16):
                raise errors.ValidationError(f"`uid` must be exactly 16 characters long, got {len(transform)}.")
            self.uid = transform
            transform = None
        if description is not None:
            self._description = description
        self._path = None
        if transform is None:
            detected_description = None
            shell = _ipython_shell()
            if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
                self._path, detected_description = self._track_notebook(path_str=path, required=self.uid is None)
                transform_type = "notebook"
                self._key = self._path.name if self._path is not None else None
            else:
                self._path, transform_type = self._track_source_code(path=path, interactive=shell is not None)
            if key is not None:
                self._key = key
            if self.uid is not None and len(self.uid) == 12:
                # a stem: its latest version, or the first one
                latest = Transform.objects.filter(uid__startswith=self.uid, is_latest=True).order_by("-id").first()
                self.uid = latest.uid if latest is not None else self.uid + "0000"
            elif self.uid is not None and len(self.uid) != 16:
                raise errors.ValidationError(f"`uid` must be exactly 16 characters long, got {len(self.uid)}.")
            if self._path is None and self.uid is None:
                raise errors.MissingContextUID(
                    "cannot tell which notebook or script runs here: pass a uid, "
                    f'e.g. ln.track("{base62_12()}0000"), or path=...'
                )
            title = self._description or detected_description
            if title is None and self._path is not None:
                # until the hub shows keys, the file name is the description
                title = self._path.name
            self._create_or_load_transform(description=title, transform_type=transform_type)
        else:
            if transform.type in {"notebook", "script"}:
                raise ValueError(
                    "Use `ln.track()` without passing transform in a notebook or script"
                    " - metadata is automatically parsed"
                )
            existing = Transform.objects.filter(id=transform.id).first() if transform.id is not None else None
            if existing is None:
                transform.save()
                self._logging_message_track += f"created Transform('{transform.uid}')"
                existing = transform
            else:
                self._logging_message_track += f"loaded Transform('{transform.uid}')"
            self._transform = existing
        self._start_run(params=params, new_run=new_run)

    def _start_run(self, params: dict | None, new_run: bool | None) -> None:
        transform = self._transform
        if new_run is None:
            new_run = transform.type != "notebook"
        run = None
        if not new_run:
            run = Run.objects.filter(transform=transform, created_by_id=current_user_id()).order_by("-created_at",
                                                                                                    "-id").first()
            if run is not None:
                run.started_at = timezone.now()
                self._logging_message_track += f", re-started Run('{run.uid[:8]}...') at {_when(run.started_at)}"
        if run is None:
            run = Run(transform=transform)
            self._logging_message_track += f", started new Run('{run.uid[:8]}...') at {_when(run.started_at)}"
        run._is_consecutive = True if transform.type == "notebook" else None
        run.save()
        if params is not None:
            manager = getattr(run, "params", None)
            if manager is None or not hasattr(manager, "add_values"):
                raise errors.InvalidArgument("params need ln.Param, which this instance does not have")
            manager.add_values(params)
            self._logging_message_track += "\n→ params: " + ", ".join(f"{k}={v}" for k, v in params.items())
        self._run = run
        logger.important(self._logging_message_track)

    def _track_source_code(self, *, path: str | Path | None, interactive: bool = False) -> tuple[Path | None, str]:
        """The script (``.py``: a script; ``.ipynb``, ``.Rmd``, ``.qmd``: a notebook) and its type."""
        if path is None:
            found, key = (None, None) if interactive else _script()
        else:
            found, key = Path(path), Path(path).name
        self._key = key
        if found is None:
            return None, "notebook" if interactive else "script"
        transform_type = "notebook" if found.suffix in {".ipynb", ".Rmd", ".qmd"} else "script"
        source = read_source(found)
        self._source = {"source_code": source, "hash": hash_text(source)} if source is not None else {}
        return found, transform_type

    def _track_notebook(self, *, path_str: str | None, required: bool = True) -> tuple[Path | None, str | None]:
        """The notebook that runs, and its title (its first ``# `` heading), or None.

        Raises:
            RuntimeError: the path cannot be found and is ``required``, or the
                notebook is still named ``Untitled.ipynb``.
        """
        if path_str is None:
            shell = _ipython_shell()
            path = _notebook_path(shell) if shell is not None else None
            if path is None:
                if required:
                    raise RuntimeError(MSG_PATH_FAILED)
                return None, None
        else:
            path = Path(path_str)
        posix = path.as_posix()
        if posix.endswith("Untitled.ipynb"):
            raise RuntimeError("Please rename your notebook before tracking it")
        if posix.startswith("/fileId="):
            # Google Colab names notebooks by a file id; its name is behind a local
            # service that this package does not call
            logger.warning("tracking on Google Colab is experimental")
            logger.warning("could not get notebook key from Google Colab, using: colab/notebook.ipynb")
            return Path("colab/notebook.ipynb"), None
        return path, notebook_title(path)

    def _clash_message(self, transform: Transform, key: str) -> str:
        return (
            f'Filepath "{key}" clashes with the existing key "{transform.key}" for uid "{transform.uid[:-4]}...."'
            f'\n\nEither init a new transform with a new uid:\n\nln.track("{base62_12()}0000")\n\n'
            + update_key_note(transform.stem_uid, transform.key, key)
        )

    def _current_hash(self) -> str | None:
        if self._source.get("hash") is None and self._path is not None and self._path.exists():
            # a notebook's source is its cells' code and text (run_report.notebook_source)
            source = read_source(self._path)
            if source is None:
                return None
            self._source = {"source_code": source, "hash": hash_text(source)}
        return self._source.get("hash")

    def _create_or_load_transform(self, *, description: str | None, transform_ref: str | None = None,
                                  transform_ref_type: str | None = None, transform_type: str | None = None) -> None:
        """Find the transform of ``uid`` (or of the file's key), check it against
        the file and the version, and create it or a new version if needed;
        ``_transform`` is the result."""
        path = self._path
        posix = path.as_posix() if path is not None else ""
        key = self._key or (path.name if path is not None else None)
        revises = None
        transform = None
        user_id = current_user_id()
        if self.uid is None:
            uid = None
            name = key
            candidates = sorted(
                Transform.objects.filter(key__endswith=name, is_latest=True),
                key=lambda t: -(t.key or "").count("/"),
            )
            # the deepest key first: teamA/x.py before x.py
            candidates = [t for t in candidates if t.key.endswith(name)]
            message = ""
            matched = False
            for candidate in candidates:
                if candidate.key not in posix:
                    continue
                key = candidate.key
                # an unchanged notebook or script is the same transform (LaminDB 1.0 gave a
                # notebook a new version each time, anticipating changes: finish() does that
                # here if the notebook did change)
                unchanged = candidate.hash == self._current_hash()
                if candidate.created_by_id == user_id and (candidate.source_code is None or unchanged):
                    transform = candidate
                else:
                    uid, revises = Transform._next_version(candidate, None)
                    message = f"there already is a {candidate.type} with `key` '{candidate.key}'"
                    if candidate.created_by_id != user_id:
                        message += f" -- {candidate.created_by.handle} already works on this draft"
                    message += f", creating new version '{uid}'"
                matched = True
                break
            if candidates and not matched:
                listed = "\n".join(f"    {t.uid} → {t.key}" for t in candidates)
                message = f"ignoring transform{'s' if len(candidates) > 1 else ''} with same filename:\n{listed}"
            if message:
                logger.important(message)
            self.uid = transform.uid if transform is not None else uid or f"{base62_12()}0000"
        else:
            transform = Transform.objects.filter(uid=self.uid).first()
            if transform is not None:
                if path is not None and transform.key is not None and transform.key not in posix:
                    parts = len(Path(transform.key).parts)
                    tail = Path(*path.parts[-parts:]).as_posix() if parts > 0 else ""
                    raise errors.UpdateContextError(self._clash_message(transform, tail))
                key = transform.key
        if self.version is not None:
            if transform is not None and transform.version is not None and self.version != transform.version:
                raise errors.UpdateContextError(
                    f"✗ please pass consistent version: ln.context.version = '{transform.version}'"
                )
            stem, suffix = self.uid[:-4], self.uid[-4:]
            taken = Transform.objects.filter(uid__startswith=stem, version=self.version).first()
            if taken is not None and taken.uid[-4:] != suffix:
                raise errors.UpdateContextError(
                    f"✗ version '{self.version}' is already taken by Transform('{taken.uid}'); please set another "
                    f"version, e.g., ln.context.version = '{bump_version(self.version)}'"
                )
        if transform is None:
            fields = {
                "uid": self.uid, "version": self.version, "description": description, "key": key,
                "reference": transform_ref, "reference_type": transform_ref_type,
                "type": transform_type or "pipeline", **self._source,
            }
            if revises is not None:
                fields["revises"] = revises
            try:
                transform = Transform(**fields)
            except errors.InconsistentKey:
                latest = revises or Transform.objects.filter(
                    uid__startswith=self.uid[:-4], is_latest=True
                ).order_by("-id").first()
                raise errors.UpdateContextError(self._clash_message(latest, key)) from None
            created = transform._state.adding
            transform.save()
            verb = "created" if created else "loaded"
            self._logging_message_track += f"{verb} Transform('{transform.uid}')"
        else:
            self._load_transform(transform, key, description, user_id)
        self._transform = transform

    def _load_transform(self, transform: Transform, key: str | None, description: str | None, user_id: int) -> None:
        uid = transform.uid
        saved_source = transform.source_code is not None
        if key is not None and transform.key != key:
            raise errors.UpdateContextError(self._clash_message(transform, key))
        if description is not None and transform.description != description:
            transform.description = description
            transform.save()
            self._logging_message_track += "updated transform description, "
        elif transform.created_by_id != user_id and not saved_source:
            raise errors.UpdateContextError(
                f"{transform.created_by.name} ({transform.created_by.handle}) already works on this draft "
                f"{transform.type}.\n\nPlease create a revision via "
                f'`ln.track("{Transform._next_version(transform, None)[0]}")` or a new transform with a '
                f'*different* filedescription and `ln.track("{base62_12()}0000")`.'
            )
        if saved_source and self._path is not None:
            current = self._current_hash()
            if current is not None and current != transform.hash:
                raise errors.UpdateContextError(
                    f'✗ source code changed, please update the `uid` argument in `track()` to '
                    f'"{Transform._next_version(transform, None)[0]}"'
                )
        elif not saved_source and self._source.get("source_code") is not None:
            # a script's source is recorded when it first runs
            transform.source_code = self._source["source_code"]
            transform.hash = self._source["hash"]
            transform.save()
        self._logging_message_track += f"loaded Transform('{uid}')"

    def finish(self, ignore_non_consecutive: bool | None = None) -> None:
        """Finish the tracked run and keep what makes it reproducible.

        - ``run.finished_at``: now.
        - ``transform.source_code`` and ``transform.hash``: the script's source, or
          the notebook's cells as a ``py:percent`` script (outputs left out), if
          not saved yet. A notebook edited since ``ln.track()`` gets a new version
          of its transform, to which the run moves; saved source is never replaced.
        - ``run.report``: the notebook as saved on disk, rendered as HTML by
          nbconvert (if installed), a hidden artifact (``_branch_code=0``) that is no
          output of the run. Save the notebook before calling ``ln.finish()``.

        All of it is written in one transaction: if a step fails, nothing
        changes and the run stays tracked, so ``ln.finish()`` can be called again.
        A notebook's or script's run is then forgotten; a pipeline's stays readable.

        Args:
            ignore_non_consecutive: Accepted for LaminDB 1.0 (a notebook whose cells
                did not run in order is recorded as ``run._is_consecutive = False``).

        Raises:
            ln.errors.TrackNotCalled: nothing is being tracked.
            ValueError: the run's transform is a notebook or script, but its file
                is not known.

        Example:
            >>> ln.track()
            >>> ln.finish()
            → finished Run('2ZeiNvhz...') after 3s
            >>> ln.Transform.get(key="analysis.ipynb").source_code[:4]
            '# %%'
        """
        run = self.run
        if run is None:
            raise errors.TrackNotCalled("Please run `ln.track()` before `ln.finish()`")
        if self._path is None and run.transform.type in {"script", "notebook"} and run.transform.key is not None:
            raise ValueError(
                "Transform type is not allowed to be 'script' or 'notebook' because `context._path` is `None`."
            )
        keeps_source = run.transform.type in {"script", "notebook"} and self._path is not None
        before = (run.finished_at, run.report_id, run.transform_id, run._is_consecutive)
        run.finished_at = timezone.now()
        try:
            save_source_and_report(run, self._path if keeps_source else None, self._source or {})
        except BaseException:
            run.finished_at, run.report_id, run.transform_id, run._is_consecutive = before
            raise
        seconds = (run.finished_at - run.started_at).total_seconds()
        logger.important(f"finished Run('{run.uid[:8]}...') after {seconds:.0f}s")
        if run.transform.type in {"script", "notebook"}:
            # a notebook or script is done: the next ln.track() starts afresh; a
            # pipeline's run stays readable in ln.context.run, as in LaminDB
            self.reset()


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


context = Context()
"""``ln.context``: the tracked transform and run of this process."""


def track(transform: str | Transform | None = None, **kwargs: Any) -> None:
    """Track the running notebook or script; see ``ln.context.track``.

    Example:
        >>> ln.track("pd7UR7Z8hoTq0000")
    """
    context.track(transform, **kwargs)


def finish(ignore_non_consecutive: bool | None = None) -> None:
    """Finish the tracked run; see ``ln.context.finish``.

    Example:
        >>> ln.finish()
    """
    context.finish(ignore_non_consecutive=ignore_non_consecutive)
