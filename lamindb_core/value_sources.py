"""Value sources: where the Curator finds valid values beyond a registry's records.

A module that adds registries with public sources (``lamindb_core.bio``: genes,
cell types, ...) registers each of them here when Django loads it. The Curator
asks by registry, so core code never names the module or its registries.

Example (``Compound``: a module's registry with a public source)::

    # in the module's AppConfig.ready()
    >>> register_value_source(Compound, save_missing=Compound.save_from_public)
    # in the Curator
    >>> value_source(Compound).save_missing(["aspirin"], field="name", organism=None, key="treatment")
    ['aspirin']
    >>> value_source(ln.ULabel) is None
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["ValueSource", "register_value_source", "value_source"]


@dataclass(frozen=True)
class ValueSource:
    """What a module adds for the values of one registry.

    Attributes:
        registry: The registry whose values the source holds.
        save_missing: ``save_missing(values, field=..., organism=..., key=...)``
            saves records for those of ``values`` that the source has and the
            registry lacks, and returns them; None if the source saves nothing.
        warnings: ``{field name: message}``: what the Curator warns about when
            data is validated against that field.
    """

    registry: type
    save_missing: Callable[..., list[str]] | None = None
    warnings: Mapping[str, str] = field(default_factory=dict)


# one per registry; a module that loads again (a test that reloads Django) replaces its entries
_sources: dict[type, ValueSource] = {}


def register_value_source(
    registry: type,
    *,
    save_missing: Callable[..., list[str]] | None = None,
    warnings: Mapping[str, str] | None = None,
) -> ValueSource:
    """Register the value source of ``registry``, replacing an earlier one.

    Args:
        registry: The registry.
        save_missing: Saves the values that the source has and the registry
            lacks; see ``ValueSource.save_missing``.
        warnings: ``{field name: message}`` for the Curator.

    Returns:
        The registered source.

    Example:
        >>> register_value_source(Compound, save_missing=Compound.save_from_public,
        ...                       warnings={"name": "compound names are ambiguous"})
    """
    source = ValueSource(registry, save_missing, MappingProxyType(dict(warnings or {})))
    _sources[registry] = source
    return source


def value_source(registry: type) -> ValueSource | None:
    """The value source registered for ``registry``, or None if it has none.

    Example:
        >>> value_source(ln.ULabel) is None
        True
    """
    return _sources.get(registry)
