"""The hierarchy service: ancestors, descendants and the tree of a record with ``parents``."""

from __future__ import annotations

import pytest

from lamindb_core import hierarchy


@pytest.fixture
def chain(instance):
    """label1 → label2 → label3 (each the parent of the next)."""
    ln = instance
    label1, label2, label3 = (ln.ULabel(name=f"label{i}").save() for i in (1, 2, 3))
    label1.children.add(label2)
    label2.children.add(label3)
    return label1, label2, label3


def test_hierarchy_query_parents_and_children(chain):
    label1, label2, label3 = chain
    parents = hierarchy.query_parents(label3)
    assert len(parents) == 2 and label1 in parents and label2 in parents
    children = hierarchy.query_children(label1)
    assert set(children.values_list("name", flat=True)) == {"label2", "label3"}
    assert hierarchy.query_parents(label1).count() == 0


def test_hierarchy_relative_ids_stop_at_the_distance(chain):
    label1, label2, label3 = chain
    assert hierarchy.relative_ids(label3, "parents", distance=1) == {label3.id: [label2.id], label2.id: []}
    assert hierarchy.relative_ids(label3, "parents") == {label3.id: [label2.id], label2.id: [label1.id], label1.id: []}


def test_hierarchy_view_parents_draws_a_tree(instance, chain):
    ln = instance
    label1, label2, label3 = chain
    view = hierarchy.view_parents(label3, ln.ULabel.name)
    assert str(view) == "label3\n└── label2\n    └── label1"
    assert str(hierarchy.view_parents(label3, "name", distance=1)) == "label3\n└── label2"
    both = hierarchy.view_parents(label2, with_children=True)
    assert str(both) == "label2\n└── label1\nchildren:\n└── label3"
    assert '"label1" -> "label2"' in both.dot and '"label2" -> "label3"' in both.dot


def test_hierarchy_survives_a_cycle(instance, chain):
    label1, label2, label3 = chain
    label3.children.add(label1)
    assert set(hierarchy.query_parents(label1).values_list("name", flat=True)) == {"label2", "label3"}
    assert str(hierarchy.view_parents(label1, distance=5)).count("label1") == 2


def test_hierarchy_needs_a_saved_record_with_parents(instance):
    ln = instance
    with pytest.raises(ln.errors.InvalidArgument, match="save the ULabel record before"):
        hierarchy.query_parents(ln.ULabel(name="unsaved"))
    with pytest.raises(ln.errors.InvalidArgument, match="Feature records have no parents"):
        hierarchy.query_parents(ln.Feature(name="f", dtype="int").save())


def test_ulabel_query_and_view_parents_methods(instance, chain):
    label1, label2, label3 = chain
    assert sorted(label3.query_parents().values_list("name", flat=True)) == ["label1", "label2"]
    assert sorted(label1.query_children().values_list("name", flat=True)) == ["label2", "label3"]
    assert "label1" in str(label3.view_parents(distance=2))
