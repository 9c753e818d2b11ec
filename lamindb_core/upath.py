"""``ln.UPath``: LaminDB's path class, for local paths here.

LaminDB 1.0 uses universal_pathlib's ``UPath`` for local and cloud paths alike
and adds ``view_tree()``. Here ``ln.UPath("./data")`` is a ``pathlib.Path`` with
``view_tree()``; a URL such as ``s3://bucket/key`` gives universal_pathlib's
``UPath`` if that package (and the file system behind the protocol, e.g. s3fs:
``pip install 'lamindb-jupyter[s3]'``) is installed, as ``artifact.path`` of an
artifact in a bucket is.

Example:
    >>> ln.UPath("./mydata").view_tree()
    2 sub-directories & 3 files with suffixes '.csv', '.txt'
    mydata/
    ├── raw/
    │   └── a.csv
    ...
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from . import errors

__all__ = ["UPath"]

_LocalBase = type(Path())


class UPath(_LocalBase):
    """A local path with LaminDB's ``view_tree()``; a URL gives universal_pathlib's ``UPath``.

    Example:
        >>> ln.UPath("./mydata") / "raw"
        UPath('mydata/raw')
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        first = str(args[0]) if args else ""
        if first.startswith("file://"):
            args = (first[len("file://"):], *args[1:])
        elif "://" in first:
            try:
                import upath
            except ImportError:
                raise errors.InvalidArgument(
                    f"{first}: paths other than local ones need universal_pathlib: pip install universal-pathlib "
                    "(and the file system of the protocol, e.g. s3fs)"
                ) from None
            return upath.UPath(*args, **kwargs)
        return super().__new__(cls, *args)

    def view_tree(
        self, level: int = -1, limit_to_directories: bool = False, length_limit: int = 1000,
        max_files_per_dir_per_type: int = 7,
    ) -> None:
        """Print the folder as a tree, with a count of its sub-folders and files by suffix.

        Args:
            level: How deep to show; ``-1`` for all levels.
            limit_to_directories: Show folders only.
            length_limit: The most lines to print.
            max_files_per_dir_per_type: The most files of one suffix to show per folder.
        """
        print(tree_text(self, level, limit_to_directories, length_limit, max_files_per_dir_per_type))


def tree_text(
    root: Path, level: int = -1, limit_to_directories: bool = False, length_limit: int = 1000,
    max_files_per_dir_per_type: int = 7,
) -> str:
    """The text that ``UPath.view_tree()`` prints."""
    lines: list[str] = []
    n_dirs = 0
    suffixes: set[str] = set()
    n_files = 0

    def walk(folder: Path, prefix: str, depth: int) -> None:
        nonlocal n_dirs, n_files
        if level != -1 and depth > level:
            return
        entries = sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name))
        if limit_to_directories:
            entries = [p for p in entries if p.is_dir()]
        shown: Counter[str] = Counter()
        kept = []
        for entry in entries:
            if entry.is_dir():
                kept.append(entry)
                continue
            n_files += 1
            suffixes.add(entry.suffix)
            shown[entry.suffix] += 1
            if shown[entry.suffix] <= max_files_per_dir_per_type:
                kept.append(entry)
        for i, entry in enumerate(kept):
            last = i == len(kept) - 1
            name = entry.name + ("/" if entry.is_dir() else "")
            lines.append(f"{prefix}{'└── ' if last else '├── '}{name}")
            if entry.is_dir():
                n_dirs += 1
                walk(entry, prefix + ("    " if last else "│   "), depth + 1)

    walk(Path(root), "", 1)
    listed = ", ".join(repr(s) for s in sorted(suffixes))
    head = f"{n_dirs} sub-directories" + ("" if limit_to_directories else f" & {n_files} files with suffixes {listed}")
    body = lines[:length_limit] + ([f"... length_limit, {length_limit}, reached, counted:"] if len(lines) > length_limit else [])
    return "\n".join([head, f"{Path(root).name}/", *body])
