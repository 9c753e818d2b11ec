"""``ln.setup.migrate.check()`` and ``ln.setup.django(...)``, as LaminDB's lamindb_setup has them."""

from __future__ import annotations


def test_migrate_check_is_true_for_an_up_to_date_instance(instance):
    assert instance.setup.migrate.check() is True


def test_django_runs_a_management_command(instance, capsys):
    instance.setup.django("check")
    assert "no issues" in capsys.readouterr().out.lower()
