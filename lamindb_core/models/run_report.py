"""What ``ln.finish()`` keeps of a notebook or script: its source code and a report.

As LaminDB 1.0 does: ``transform.source_code`` holds the source (a notebook's cells as a
``py:percent`` script: ``# %%`` before each code cell, markdown as comments) and
``transform.hash`` its hash; ``run.report`` is an HTML rendering of the notebook (when
nbconvert is installed), saved as a hidden artifact (``_branch_code=0``) that is no output
of the run. The source hash ignores outputs and execution counts: re-running an unchanged
notebook is the same transform, a changed one a new version.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from django.db import transaction

from .. import process_settings
from ..logger import logger
from .artifact import Artifact
from .run import Run
from .transform import Transform

__all__ = ["hash_text", "notebook_source", "read_source", "save_source_and_report"]


def hash_text(text: str) -> str:
    """The hash of source code, as ``Transform.hash`` stores it (22 characters of base64 MD5)."""
    digest = hashlib.md5(text.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else (source or "")


def notebook_source(nb: dict) -> str:
    """A notebook's cells as a ``py:percent`` script: what ``transform.source_code`` holds.

    Outputs, execution counts and metadata are left out, so the text (and its hash)
    changes only when a cell's source does.

    Example:
        >>> notebook_source({"cells": [{"cell_type": "markdown", "source": "# Title"},
        ...                             {"cell_type": "code", "source": "x = 1"}]})
        '# %% [markdown]\\n# # Title\\n\\n# %%\\nx = 1\\n'
    """
    parts = []
    for cell in nb.get("cells", []):
        text = _text(cell.get("source")).rstrip("\n")
        kind = cell.get("cell_type")
        if kind == "code":
            parts.append("# %%\n" + text)
        else:
            commented = "\n".join(f"# {line}" if line else "#" for line in text.splitlines())
            parts.append(f"# %% [{kind}]\n" + commented)
    return "\n\n".join(parts) + "\n"


def read_source(path: Path) -> str | None:
    """The source code of a script, or of a notebook (``.ipynb``) as ``notebook_source`` gives it; None if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if path.suffix != ".ipynb":
        return text
    try:
        return notebook_source(json.loads(text))
    except (ValueError, AttributeError):
        return None


def _consecutive(nb: dict) -> bool | None:
    # whether the code cells ran as [1], [2], [3]...; None if the saved notebook has no counts
    counts = [c.get("execution_count") for c in nb.get("cells", [])
              if c.get("cell_type") == "code" and _text(c.get("source")).strip() and ".finish(" not in _text(c.get("source"))]
    if not counts or all(n is None for n in counts):
        return None
    return all(isinstance(n, int) for n in counts) and all(b - a == 1 for a, b in zip(counts, counts[1:]))


def _html_report(path: Path, destination: Path) -> Path | None:
    # the notebook as saved, rendered by nbconvert (offline: its templates ship with it)
    try:
        import nbformat
        from nbconvert import HTMLExporter
    except ImportError:
        logger.warning("no report: install nbconvert to save an HTML report of the notebook")
        return None
    notebook = nbformat.read(path, as_version=4)
    html, _ = HTMLExporter().from_notebook_node(notebook)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(html, encoding="utf-8")
    return destination


def save_source_and_report(run: Run, path: Path | None, source: dict[str, Any]) -> None:
    """Keep the source code of the run's transform and, for a notebook, its report, and finish the run.

    Args:
        run: The tracked run; its ``finished_at`` must be set.
        path: The notebook or script; None for a pipeline (nothing but the run is saved).
        source: What ``ln.track()`` read of a script: ``{"source_code": ..., "hash": ...}``.

    A transform without source code gets it. A notebook that changed since its
    transform's source was saved (edited after ``ln.track()``) makes a new version
    of the transform, and the run moves to it: the saved source is never replaced.
    Everything is written in one transaction: if a step fails, no record changes
    (a stored report file is removed) and the run stays tracked.

    Example:
        >>> save_source_and_report(ln.context.run, Path("analysis.ipynb"), {})
    """
    transform = run.transform
    is_notebook = path is not None and path.suffix == ".ipynb" and path.is_file()
    if is_notebook:
        text = read_source(path)
        source = {"source_code": text, "hash": hash_text(text)} if text is not None else {}
    report_path = None
    if is_notebook:
        cache = Path(process_settings.settings.cache_dir)
        report_path = _html_report(path, cache / f"run_report_{run.uid}" / f"{path.stem}.html")
        try:
            run._is_consecutive = _consecutive(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass
    report = None
    try:
        with transaction.atomic():
            if report_path is not None:
                report = Artifact(report_path, description=f"Report of run {run.uid}", _branch_code=0)
                if report._state.adding:
                    report.run_id = None  # the report documents the run; it is none of its outputs
                report.save()
                run.report = report
            if source.get("source_code") is not None:
                if transform.source_code is None:
                    transform.source_code, transform.hash = source["source_code"], source["hash"]
                    transform.save()
                elif transform.hash != source["hash"]:
                    changed = Transform(revises=transform, type=transform.type, source_code=source["source_code"],
                                        hash=source["hash"]).save()
                    logger.important(f"source code changed since ln.track(): created Transform('{changed.uid}'), "
                                     f"a new version of Transform('{transform.uid}'), for this run")
                    run.transform = changed
            run.save()
    except BaseException:
        if report is not None:
            report._discard_after_rollback()
        raise
    finally:
        if report_path is not None:
            shutil.rmtree(report_path.parent, ignore_errors=True)
