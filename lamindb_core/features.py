"""How a record is named and drawn as text: ``display_field``, ``tree_text``,
``describe_artifact``.

The faces (notebook, widget, REST API) call these without importing the models,
which need Django configured. The annotations of artifacts themselves (features
and labels) are in ``lamindb_core.models.annotations``.
"""

from __future__ import annotations

from django.db import models

__all__ = [
    "display_field",
    "tree_text",
    "describe_artifact",
]


def display_field(model: type[models.Model]) -> str:
    """The field that names a record: ``name``, ``symbol``, ``key`` or ``uid``."""
    names = {f.name for f in model._meta.concrete_fields}
    for candidate in ("name", "symbol", "key", "handle", "uid"):
        if candidate in names:
            return candidate
    return "pk"


def tree_text(title: str, sections: list[tuple[str, list[str]]]) -> str:
    """A title and its sections as a tree drawn with box characters; empty sections are left out.

    Example:
        >>> print(tree_text("Artifact .h5ad", [("General", [".uid = 'jGN3...'"]), ("Labels", [])]))
        Artifact .h5ad
        └── General
            └── .uid = 'jGN3...'
    """
    lines = [title]
    sections = [(name, items) for name, items in sections if items]
    for i, (name, items) in enumerate(sections):
        last = i == len(sections) - 1
        lines.append(f"{'└──' if last else '├──'} {name}")
        prefix = "    " if last else "│   "
        for j, item in enumerate(items):
            lines.append(f"{prefix}{'└──' if j == len(items) - 1 else '├──'} {item}")
    return "\n".join(lines)


def describe_artifact(artifact: models.Model) -> str:
    """The text of ``artifact.describe()``: its fields, provenance, features and labels as a tree.

    Example:
        >>> print(describe_artifact(artifact))
        Artifact .h5ad · AnnData
        ├── General
        │   ├── .uid = 'jGN3p3eaCksf7tPQ0000'
        ...
    """
    return artifact.describe(return_str=True)
