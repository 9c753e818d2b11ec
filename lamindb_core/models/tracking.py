"""``ln.track()`` and ``ln.finish()``: record which notebook or script created the data."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from pathlib import Path

from django.utils import timezone

from .. import errors
from ..context import context
from ..logger import logger
from .run import Run
from .transform import Transform

__all__ = ["track", "finish"]


def _ipython_shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _notebook_path(shell) -> Path | None:
    # JupyterLab and Notebook 7 tell the kernel its notebook through these
    candidates = [os.environ.get("JPY_SESSION_NAME"), shell.user_ns.get("__session__")]
    vscode = shell.user_ns.get("__vsc_ipynb_file__")
    candidates.append(vscode)
    for candidate in candidates:
        if candidate and str(candidate).endswith(".ipynb"):
            path = Path(candidate)
            return path if path.is_absolute() else Path.cwd() / path
    return None


def _notebook_title(path: Path) -> str | None:
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source", []))
            for line in source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def _hash_text(text: str) -> str:
    digest = hashlib.md5(text.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def detect_transform() -> dict:
    """What is running: a notebook (key, title), a script (key, source), or an interactive session."""
    shell = _ipython_shell()
    if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
        path = _notebook_path(shell)
        if path is not None:
            return {"key": path.name, "description": _notebook_title(path), "type": "notebook"}
        return {"key": None, "description": None, "type": "notebook"}
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if script and shell is None:
        path = Path(script)
        key = path.name
        spec = getattr(main, "__spec__", None)
        if path.name == "__main__.py" and spec is not None and spec.name:
            # python -m package: the package is what ran
            key = spec.name.removesuffix(".__main__")
        try:
            source = path.read_text()
        except OSError:
            source = None
        return {
            "key": key,
            "description": None,
            "type": "script",
            "source_code": source,
            "hash": _hash_text(source) if source is not None else None,
        }
    return {"key": None, "description": None, "type": "notebook" if shell is not None else "script"}


def track(uid: str | None = None, *, key: str | None = None, description: str | None = None) -> None:
    """Track the running notebook or script: a ``Transform`` and a new ``Run``.

    Records saved afterwards point to the run through their ``run`` field;
    ``ln.context.run`` and ``ln.context.transform`` are the tracked ones.

    Args:
        uid: The transform's uid (16 characters), or its 12-character stem;
            created if it does not exist yet. Without it, the transform is found
            by the notebook's or script's file name.
        key: Override the detected file name.
        description: Override the detected title.

    Example:
        >>> ln.track("pd7UR7Z8hoTq0000")
        → created Transform('pd7UR7Z8hoTq0000'), started new Run('2ZeiNvhz...') at 2025-01-12 14:05:47 UTC
    """
    detected = detect_transform()
    if key is not None:
        detected["key"] = key
    if description is not None:
        detected["description"] = description
    transform = None
    if uid is not None:
        if len(uid) not in (12, 16):
            raise errors.InvalidArgument(f"a Transform uid has 16 characters (or a 12-character stem), got {uid!r}")
        if len(uid) == 12:
            transform = Transform.objects.filter(uid__startswith=uid, is_latest=True).first()
            uid = uid + "0000" if transform is None else transform.uid
        else:
            transform = Transform.objects.filter(uid=uid).first()
    elif detected["key"] is not None:
        transform = Transform.objects.filter(key=detected["key"], is_latest=True, _branch_code=1).order_by("-id").first()
    created = transform is None
    if created:
        fields = {k: v for k, v in detected.items() if v is not None}
        if uid is not None:
            fields["uid"] = uid
        transform = Transform(**fields).save()
    else:
        changed = False
        for name in ("description", "source_code", "hash"):
            if detected.get(name) and getattr(transform, name) != detected[name]:
                setattr(transform, name, detected[name])
                changed = True
        if changed:
            transform.save()
    run = Run(transform=transform).save()
    context.transform, context.run = transform, run
    started = run.started_at.strftime("%Y-%m-%d %H:%M:%S %Z")
    verb = "created" if created else "loaded"
    logger.important(
        f"{verb} Transform('{transform.uid}'), started new Run('{run.uid[:8]}...') at {started}"
    )


def finish() -> None:
    """Finish the tracked run: set ``finished_at``.

    Raises:
        ln.errors.InvalidArgument: nothing is being tracked.
    """
    run = context.run
    if run is None:
        raise errors.InvalidArgument("no run is being tracked: call ln.track() first")
    run.finished_at = timezone.now()
    run.save()
    seconds = (run.finished_at - run.started_at).total_seconds()
    logger.important(f"finished Run('{run.uid[:8]}...') after {seconds:.0f}s")
    context.reset()
