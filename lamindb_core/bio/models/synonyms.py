"""Synonyms and abbreviations of a record: ``add_synonym``, ``remove_synonym``, ``set_abbr``.

A registry with a ``synonyms`` field (``|``-separated) gets them by inheriting
``HasSynonyms``; ``from_values``, ``inspect`` and ``standardize`` find a record by
its synonyms.
"""

from __future__ import annotations

from typing import Any

from ... import errors

__all__ = ["HasSynonyms"]


def _as_set(synonym: Any) -> list[str]:
    if isinstance(synonym, str):
        values = [synonym]
    elif hasattr(synonym, "tolist"):
        values = synonym.tolist()
    else:
        values = list(synonym)
    for value in values:
        if not isinstance(value, str):
            raise errors.InvalidArgument(f"a synonym is a string, got {value!r} ({type(value).__name__})")
    return list(dict.fromkeys(v for v in values if v))


class HasSynonyms:
    """``add_synonym``, ``remove_synonym`` and ``set_abbr`` for a registry with ``synonyms``."""

    def _synonym_list(self) -> list[str]:
        text = self.synonyms
        return [s for s in text.split("|") if s] if text else []

    def _check_synonyms_field(self) -> None:
        if "synonyms" not in {f.name for f in self._meta.concrete_fields}:
            raise NotImplementedError(f"No synonyms field found in table {type(self).__name__}!")

    def _synonym_owners(self, synonyms: list[str]) -> dict[str, list]:
        """``{synonym: [other records that list it]}``."""
        model = type(self)
        found: dict[str, list] = {}
        for synonym in synonyms:
            candidates = model.filter(synonyms__contains=synonym)
            if self.pk is not None:
                candidates = candidates.exclude(pk=self.pk)
            for record in candidates:
                if synonym in (record.synonyms or "").split("|"):
                    found.setdefault(synonym, []).append(record)
        return found

    def add_synonym(self, synonym: Any, force: bool = False, save: bool | None = None) -> None:
        """Add one synonym or several to the record.

        Args:
            synonym: A string or a list of strings; none may contain ``|``.
            force: Add it even if another record of the registry lists it.
            save: Save the record; default: if it is saved already.

        Raises:
            ln.errors.ValidationError: a synonym holds ``|``, or another record
                lists it (without ``force``); the message names that record.

        Example:
            >>> cell_type = bt.CellType.get(name="T cell")
            >>> cell_type.add_synonym(["my T cell", "T-cell of mine"])
        """
        self._check_synonyms_field()
        new = _as_set(synonym)
        if not new:
            return
        if any("|" in s for s in new):
            raise errors.ValidationError("a synonym can't contain '|'!")
        if not force:
            owners = self._synonym_owners(new)
            if owners:
                listed = "; ".join(f"{s!r}: {', '.join(repr(r) for r in rs)}" for s, rs in owners.items())
                raise errors.ValidationError(
                    f"you are trying to assign a synonym to record: {self!r}\n"
                    f"    → the synonyms are already associated with other records: {listed}\n"
                    "    → consider removing the synonym from existing records or using a different synonym."
                )
        current = self._synonym_list()
        self.synonyms = "|".join(dict.fromkeys([*current, *new])) or None
        if save if save is not None else not self._state.adding:
            self.save()

    def remove_synonym(self, synonym: Any) -> None:
        """Remove one synonym or several from the record (and save it if it is saved).

        Example:
            >>> cell_type.remove_synonym("my T cell")
        """
        self._check_synonyms_field()
        gone = set(_as_set(synonym))
        if not gone:
            return
        self.synonyms = "|".join(s for s in self._synonym_list() if s not in gone) or None
        if not self._state.adding:
            self.save()

    def set_abbr(self, value: str) -> None:
        """Set the abbreviation (``abbr``); it also becomes a synonym unless it is the name.

        Example:
            >>> bt.ExperimentalFactor.get(name="single-cell RNA sequencing").set_abbr("scRNA-seq")
        """
        if "abbr" not in {f.name for f in self._meta.concrete_fields}:
            raise NotImplementedError(f"No abbr field found in table {type(self).__name__}!")
        self.abbr = value
        if value != getattr(self, "name", None) and value not in self._synonym_list():
            self.add_synonym(value, save=False, force=True)
        if not self._state.adding:
            self.save()
