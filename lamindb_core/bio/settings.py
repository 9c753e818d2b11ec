"""``bt.settings``: the default organism and whether parents are saved with records."""

from __future__ import annotations

__all__ = ["Settings", "settings"]


class Settings:
    """Defaults of the bio registries.

    Attributes:
        organism: The organism that organism-dependent registries (``Gene``,
            ``DevelopmentalStage``, ``Ethnicity``) use when none is passed:
            ``"human"`` until set. Set a name (``"mouse"``) or an ``Organism`` record.
        auto_save_parents: Whether ``record.save()`` of a record from a public
            ontology also saves its ancestors and links them as parents. Off by
            default: a registry then holds only the terms that were used.

    Example:
        >>> import lamindb_core.bio as bt
        >>> bt.settings.organism = "mouse"
        >>> bt.settings.organism
        'mouse'
    """

    def __init__(self) -> None:
        self._organism: str = "human"
        self.auto_save_parents: bool = False

    @property
    def organism(self) -> str:
        """The default organism's name."""
        return self._organism

    @organism.setter
    def organism(self, value) -> None:
        name = getattr(value, "name", value)
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"bt.settings.organism takes an organism name such as 'human', got {value!r}")
        self._organism = name.strip()

    def __repr__(self) -> str:
        return f"bio settings: organism={self._organism!r}, auto_save_parents={self.auto_save_parents}"


settings = Settings()
