"""ln.track / ln.finish and ln.view."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def test_track_creates_transform_and_run_and_links_records(instance, capsys):
    ln = instance
    assert ln.track("pd7UR7Z8hoTq0000") is None
    run = ln.context.run
    out = capsys.readouterr().out
    assert out.startswith("→ created Transform('pd7UR7Z8hoTq0000'), started new Run('")
    assert out.rstrip().endswith("UTC")
    label = ln.ULabel(name="tracked").save()
    assert label.run_id == run.id
    assert run.transform.uid == "pd7UR7Z8hoTq0000"
    bulk = [ln.ULabel(name="tracked 2")]
    ln.save(bulk)
    assert bulk[0].run_id == run.id
    assert ln.context.transform == run.transform


def test_track_again_reuses_the_transform_and_starts_a_new_run(instance, capsys):
    ln = instance
    ln.track("pd7UR7Z8hoTq0000")
    first = ln.context.run
    ln.track("pd7UR7Z8hoTq0000")
    second = ln.context.run
    assert "loaded Transform('pd7UR7Z8hoTq0000')" in capsys.readouterr().out
    assert first.transform_id == second.transform_id
    assert first.id != second.id
    assert ln.Transform.filter(uid="pd7UR7Z8hoTq0000").count() == 1


def test_track_rejects_a_malformed_uid(instance):
    with pytest.raises(instance.errors.InvalidArgument, match="16 characters"):
        instance.track("abc")


def test_finish_sets_finished_at(instance, capsys):
    ln = instance
    ln.track("pd7UR7Z8hoTq0000")
    run = ln.context.run
    assert ln.finish() is None
    run.refresh_from_db()
    assert ln.context.run is None
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert "finished Run(" in capsys.readouterr().out
    assert ln.ULabel(name="after").save().run_id is None
    with pytest.raises(ln.errors.InvalidArgument, match="call ln.track"):
        ln.finish()


@pytest.mark.no_rollback
def test_track_in_a_script_records_its_name_and_source(instance, tmp_path):
    script = tmp_path / "my_pipeline.py"
    script.write_text(textwrap.dedent(
        """
        import lamindb_core as ln
        ln.track()
        run = ln.context.run
        ln.ULabel(name="made by script").save()
        print("TRANSFORM", run.transform.key, run.transform.type, len(run.transform.source_code))
        """
    ))
    import os

    settings = instance.setup.settings.instance
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120,
        env={**os.environ}, cwd=tmp_path,
    )
    # the subprocess shares LAMIN_CORE_HOME, so it uses the session's instance
    try:
        assert result.returncode == 0, result.stderr
        assert "TRANSFORM my_pipeline.py script" in result.stdout
        assert settings.slug.endswith("/pytest")
        label = instance.ULabel.get(name="made by script")
        assert label.run.transform.key == "my_pipeline.py"
    finally:
        instance.ULabel.filter(name="made by script").delete()
        instance.Transform.filter(key="my_pipeline.py").delete()


def test_view_prints_modules_and_non_empty_registries(instance, labels, capsys):
    ln = instance
    capsys.readouterr()
    ln.view()
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[:3] == ["****************", "* module: core *", "****************"]
    assert "ULabel" in lines
    assert "Candidate marker study 1" in out
    assert "Collection" not in lines  # empty registries are skipped
    assert "User" not in lines


def test_view_of_a_dataframe_prints_it(instance, labels, capsys):
    ln = instance
    ln.view(ln.ULabel.df())
    assert "DMSO" in capsys.readouterr().out
