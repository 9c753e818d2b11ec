"""ln.track / ln.finish and ln.view."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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


def test_track_again_reuses_the_transform_and_starts_a_new_run(instance, capsys, monkeypatch):
    from lamindb_core.models import tracking

    ln = instance
    # a script (an IPython shell that an earlier test left in this process would make it an
    # interactive session, whose runs are re-started as a notebook's: the next test)
    monkeypatch.setattr(tracking, "_ipython_shell", lambda: None)
    ln.track("pd7UR7Z8hoTq0000")
    first = ln.context.run
    ln.track("pd7UR7Z8hoTq0000")
    second = ln.context.run
    assert "loaded Transform('pd7UR7Z8hoTq0000')" in capsys.readouterr().out
    assert first.transform_id == second.transform_id
    assert first.id != second.id
    assert ln.Transform.filter(uid="pd7UR7Z8hoTq0000").count() == 1



def test_track_again_in_an_interactive_session_restarts_its_run(instance, monkeypatch):
    """As in LaminDB 1.0: a notebook (or an IPython session) re-starts its latest run on a second
    ln.track(); new_run=True starts another one."""
    from types import SimpleNamespace

    from lamindb_core.models import tracking

    ln = instance
    monkeypatch.setattr(tracking, "_ipython_shell", lambda: SimpleNamespace(user_ns={}))
    ln.track("pd7UR7Z8hoTq0001")
    first = ln.context.run
    ln.track("pd7UR7Z8hoTq0001")
    assert ln.context.run.id == first.id and ln.context.transform.type == "notebook"
    ln.track("pd7UR7Z8hoTq0001", new_run=True)
    assert ln.context.run.id != first.id

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
    with pytest.raises(ln.errors.TrackNotCalled, match=r"Please run `ln.track\(\)` before `ln.finish\(\)`"):
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


def test_view_finds_the_non_empty_registries_in_one_query(instance, labels):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lamindb_core.overview import non_empty

    ln = instance
    with CaptureQueriesContext(connection) as queries:
        found = non_empty([ln.ULabel, ln.Collection, ln.Storage])
    assert found == {ln.ULabel, ln.Storage}
    assert len(queries) == 1


def test_view_of_a_dataframe_prints_it(instance, labels, capsys):
    ln = instance
    ln.view(ln.ULabel.df())
    assert "DMSO" in capsys.readouterr().out


# -- ln.context as in LaminDB 1.0 -------------------------------------------------------------


def test_context_attributes_are_lamindbs(instance):
    ln = instance
    assert ln.context.transform is None and ln.context.run is None
    ln.context.uid = "pd7UR7Z8hoTq0000"
    ln.context.version = "1"
    ln.context.name = "My pipeline run"
    assert (ln.context.uid, ln.context.version, ln.context.description) == ("pd7UR7Z8hoTq0000", "1", "My pipeline run")
    ln.track()
    transform = ln.context.transform
    assert (transform.uid, transform.version, transform.description) == ("pd7UR7Z8hoTq0000", "1", "My pipeline run")
    assert ln.context.run.transform == transform
    assert ln.context is ln.context  # one object, not the module of its state
    assert ln.context.current_run_id() == ln.context.run.id  # what the migrations name


def test_finish_before_track_raises_track_not_called(instance):
    ln = instance
    with pytest.raises(ln.errors.TrackNotCalled) as info:
        ln.finish()
    assert "Please run `ln.track()` before `ln.finish()`" in info.exconly()
    assert ln.core.exceptions.TrackNotCalled is ln.errors.TrackNotCalled


def test_track_a_pipeline_transform_and_finish_it(instance, capsys):
    ln = instance
    transform = ln.Transform(key="my pipeline", type="pipeline")
    ln.context.track(transform=transform)
    assert "created Transform(" in capsys.readouterr().out
    run = ln.context.run
    assert run.transform == transform and not transform._state.adding
    assert ln.ULabel(name="in the run").save().run == run
    ln.finish()
    assert ln.context.run is run and run.finished_at is not None  # a pipeline's run stays readable
    ln.context.track(transform=transform)
    assert "loaded Transform(" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["notebook", "script"])
def test_track_refuses_a_notebook_or_script_transform(instance, kind):
    with pytest.raises(ValueError) as info:
        instance.context.track(transform=instance.Transform(key="My notebook", type=kind))
    assert info.exconly() == (
        "ValueError: Use `ln.track()` without passing transform in a notebook or script - metadata is automatically parsed"
    )


def test_finish_a_script_transform_without_a_path_is_refused(instance):
    ln = instance
    ln.context.track(transform=ln.Transform(key="test transform"))
    ln.context._path = None
    ln.context.run.transform.type = "script"
    with pytest.raises(ValueError, match="Transform type is not allowed to be 'script' or 'notebook'"):
        ln.finish()


def test_create_or_load_transform_updates_the_description(instance):
    ln = instance
    context = ln.context
    context.uid, context.version = "NJvdsWWbJlZS0000", "2.0"
    context._path = Path("my-test-transform-create-or-load.py")
    context._create_or_load_transform(description="title", transform_type="notebook")
    assert (context._transform.uid, context._transform.version, context._transform.description) == (
        "NJvdsWWbJlZS0000", "2.0", "title")
    context._create_or_load_transform(description="updated title")
    assert context._transform.description == "updated title"
    assert ln.Transform.filter(uid__startswith="NJvdsWWbJlZS").count() == 1


def test_a_notebook_path_on_colab_needs_no_network(instance):
    path, title = instance.context._track_notebook(path_str="/fileId=1KskciVXleoTeS_OGoJasXZJreDU9La_l")
    assert path.as_posix() == "colab/notebook.ipynb" and title is None


def _script(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("import lamindb_core as ln\n\n" + textwrap.dedent(body))
    return path


@pytest.mark.no_rollback
def test_scripts_versions_and_renames_as_in_lamindb(instance, tmp_path):
    import os

    def run(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120,
                              env={**os.environ}, cwd=tmp_path)

    name = "script-to-test-versioning.py"
    try:
        first = run(_script(tmp_path, name, 'ln.context.version = "1"\nln.track("Ro1gl7n8YrdH0000")\n'))
        assert first.returncode == 0, first.stderr
        assert "created Transform('Ro1gl7n8YrdH0000'), started new Run(" in first.stdout
        # the same uid from a script of another name: refused, nothing saved
        renamed = run(_script(tmp_path, "script-to-test-filename-change.py", 'ln.track("Ro1gl7n8YrdH0000")\n'))
        assert renamed.returncode == 1
        assert "clashes with the existing key" in renamed.stderr
        assert 'ln.Transform.filter(uid__startswith="Ro1gl7n8YrdH").update(key=' in renamed.stderr
        taken = run(_script(tmp_path / "d1", name, 'ln.context.version = "1"\nln.track("Ro1gl7n8YrdH0001")\n'))
        assert taken.returncode == 1
        assert ("✗ version '1' is already taken by Transform('Ro1gl7n8YrdH0000'); please set another version, "
                "e.g., ln.context.version = '1.1'") in taken.stderr
        bumped = run(_script(tmp_path / "d2", name, 'ln.context.version = "2"\nln.track("Ro1gl7n8YrdH0001")\n'
                             'assert ln.context.transform.version == "2"\n'))
        assert bumped.returncode == 0, bumped.stderr
        assert "created Transform('Ro1gl7n8YrdH0001'), started new Run(" in bumped.stdout
        assert not instance.Transform.get("Ro1gl7n8YrdH0000").is_latest
        assert instance.Transform.get("Ro1gl7n8YrdH0001").is_latest
        inconsistent = run(_script(tmp_path / "d3", name, 'ln.context.version = "3"\nln.track("Ro1gl7n8YrdH0001")\n'))
        assert inconsistent.returncode == 1
        assert "✗ please pass consistent version: ln.context.version = '2'" in inconsistent.stderr
        # without a uid: a transform of the same file name in another folder is not this one
        instance.Transform.filter(key=name).update(key=f"teamA/{name}")
        other = run(_script(tmp_path / "d4", name, "ln.track()\n"))
        assert other.returncode == 0, other.stderr
        assert "ignoring transform with same filename" in other.stdout
        again = run(tmp_path / "d4" / name)
        assert again.returncode == 0 and "loaded Transform(" in again.stdout
        (tmp_path / "d4" / name).write_text((tmp_path / "d4" / name).read_text() + "print('changed')\n")
        changed = run(tmp_path / "d4" / name)
        assert changed.returncode == 0, changed.stderr
        assert "creating new version" in changed.stdout
    finally:
        instance.Run.filter(transform__key__endswith=name).delete()
        instance.Transform.filter(key__endswith=name).delete()


@pytest.mark.sqlite_only  # the notebook sets up its own embedded instance
def test_notebook_without_title_is_described_by_its_file_name(tmp_path):
    import nbformat

    from lamindb_core.demo import run_notebook

    def notebook(name: str, cells: list) -> Path:
        path = tmp_path / name
        nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
        return path

    code = nbformat.v4.new_code_cell
    no_title = notebook("no-title.ipynb", [
        nbformat.v4.new_markdown_cell("A notebook without title."),
        code("import lamindb_core as ln\nln.track()"),
        code('assert ln.context.transform.description == "no-title.ipynb", ln.context.transform.description\n'
             'assert ln.context.transform.key == "no-title.ipynb"\nassert ln.context.transform.type == "notebook"'),
    ])
    titled = notebook("titled.ipynb", [
        nbformat.v4.new_markdown_cell("# My test notebook"),
        code("import lamindb_core as ln\nimport pytest\n"
             "with pytest.raises(ln.errors.ValidationError):\n    ln.track('ujPaFZ')"),
        code("ln.track('ujPaFZatnMLG0000')\nassert ln.context.transform.description == 'My test notebook'"),
        code("ln.finish(ignore_non_consecutive=True)\nassert ln.context.run is None"),
    ])
    for path in (no_title, titled):
        env = {"LAMIN_CORE_HOME": str(tmp_path / "home"), "JPY_SESSION_NAME": str(path)}
        _, failures = run_notebook(path, tmp_path, timeout=180, env=env)
        assert failures == [], (path.name, failures)
