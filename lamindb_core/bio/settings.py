"""``bt.settings``: the default organism and whether parents are saved with records."""

from __future__ import annotations

__all__ = ["Settings", "settings"]


class Settings:
    """Defaults of the bio registries.

    Attributes:
        organism: The organism that organism-dependent registries (``Gene``,
            ``DevelopmentalStage``, ``Ethnicity``) use when none is passed:
            ``"human"`` until set. Set a name (``"mouse"``) or an ``Organism``
            record; ``None`` unsets it, and then such registries raise
            ``ln.errors.OrganismNotSet`` where they need an organism.
        auto_save_parents: Whether saving a record from a public ontology
            (``record.save()``, ``ln.save(records)``) also saves its ancestors and
            links its parents, as LaminDB does. On by default; off, a registry
            holds only the terms that were saved (``record.save(parents=True)``
            still saves them).

    Example:
        >>> import lamindb_core.bio as bt
        >>> bt.settings.organism = "mouse"
        >>> bt.settings.organism
        'mouse'
    """

    def __init__(self) -> None:
        self._organism: str | None = "human"
        self.auto_save_parents: bool = True

    @property
    def organism(self) -> str | None:
        """The default organism's name, or None if unset."""
        organism = self._organism
        # LaminDB's code sets the private attribute to an Organism record or None
        return getattr(organism, "name", organism)

    @organism.setter
    def organism(self, value) -> None:
        if value is None:
            self._organism = None
            return
        name = getattr(value, "name", value)
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"bt.settings.organism takes an organism name such as 'human', got {value!r}")
        self._organism = name.strip()

    def __repr__(self) -> str:
        return f"bio settings: organism={self.organism!r}, auto_save_parents={self.auto_save_parents}"


settings = Settings()
