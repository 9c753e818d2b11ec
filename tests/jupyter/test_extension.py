"""Loading and unloading the extension; importing it stays light; the first cell of a fresh kernel."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def test_extension_import_is_light():
    code = (
        "import sys, lamindb_jupyter; "
        "print(sorted(m for m in ('IPython', 'django', 'pandas', 'itables', 'ipywidgets', 'lamindb_core') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_extension_load_loads_no_orm_and_no_heavy_library(new_shell):
    # the magic, its completion and formatters load with the extension; Django's ORM, pandas,
    # itables and ipywidgets wait for the first command that needs them
    heavy = ("django.db", "django.apps", "pandas", "itables", "ipywidgets", "lamindb_core.models")
    load, loaded = new_shell(
        "%load_ext lamindb_jupyter",
        f"import sys\nprint(sorted(m for m in sys.modules if m.startswith({heavy!r})))",
    )
    assert load["error"] is None, load
    assert loaded["out"].strip() == "[]", loaded


def test_extension_load_registers_line_and_cell_magic(shell):
    magics = shell.magics_manager.magics
    assert "ln" in magics["line"] and "ln" in magics["cell"]
    assert shell._lamindb_jupyter["magic"] in shell.configurables


def test_extension_load_twice_registers_once(shell):
    matchers = list(shell.Completer.custom_matchers)
    shell.run_cell("%reload_ext lamindb_jupyter")
    from lamindb_jupyter import load_ipython_extension

    load_ipython_extension(shell)
    assert len(shell.Completer.custom_matchers) == len(matchers)


def test_extension_unload_removes_the_magic(shell):
    from IPython.core.error import UsageError

    magic = shell._lamindb_jupyter["magic"]
    shell.run_cell("%unload_ext lamindb_jupyter")
    assert "ln" not in shell.magics_manager.magics["line"]
    assert magic not in shell.configurables
    result = shell.run_cell("%ln help")
    assert isinstance(result.error_in_exec, UsageError)
    shell.run_cell("%load_ext lamindb_jupyter")
    assert shell.run_cell("%ln help").success


def test_extension_unload_removes_the_help_transformer(shell):
    from lamindb_jupyter.magics import help_transformer

    assert help_transformer in shell.input_transformers_cleanup
    shell.run_cell("%unload_ext lamindb_jupyter")
    assert help_transformer not in shell.input_transformers_cleanup
    shell.run_cell("%load_ext lamindb_jupyter")


# -- the first cell of a fresh kernel ----------------------------------------------------------------

# what each subcommand shows when it runs first: (cell, the type of its value, a text in its output)
FIRST_COMMANDS = {
    "filter": ("%ln filter ULabel", "DataFrame", ""),
    "get": ("%ln get ULabel name=DMSO", "ULabel", ""),
    "search": ("%ln search ULabel cand", "", "Candidate marker study 1"),
    "lookup": ("%ln lookup ULabel", "NoneType", "ulabels = ln.ULabel.lookup()"),
    "browse": ("%ln browse ULabel", "RegistryBrowser", ""),
    "view": ("%ln view", "NoneType", "DMSO"),
    "view-one": ("%ln view ULabel", "NoneType", "DMSO"),
    "track": ("%ln track pd7UR7Z8hoTq0000", "NoneType", "Transform('pd7UR7Z8hoTq0000')"),
    "info": ("%ln info", "NoneType", "Current instance: "),
}


@pytest.mark.parametrize("name", list(FIRST_COMMANDS))
def test_extension_first_command_of_a_new_kernel_connects_the_current_instance(new_shell, prepared_home, name):
    cell, value_type, shown = FIRST_COMMANDS[name]
    load, first, again = new_shell("%load_ext lamindb_jupyter", cell, "%ln filter ULabel", home=prepared_home)
    assert load["error"] is None, load
    assert first["error"] is None, first  # was: ImproperlyConfigured, settings are not configured
    if value_type:
        assert first["result"] == value_type, first
    assert shown in first["out"]
    assert again["error"] is None and again["result"] == "DataFrame", again
    assert "no instance was set up" not in first["out"]  # the prepared instance, not a new default one


def test_extension_first_completion_of_a_new_kernel_connects_the_current_instance(new_shell, prepared_home):
    cell = (
        "from IPython.core.completer import provisionalcompleter\n"
        "with provisionalcompleter():\n"
        "    print([c.text for c in get_ipython().Completer.completions('%ln get ULabel name=DM', 22)])"
    )
    load, completion = new_shell("%load_ext lamindb_jupyter", cell, home=prepared_home)
    assert completion["error"] is None, completion
    assert completion["out"].strip() == "['DMSO']"


# -- a notebook that needs no shell: %ln init, connect, info; !lamin-core ------------------------------


def test_extension_init_in_a_new_kernel_creates_and_uses_the_instance(new_shell, tmp_path):
    load, init, query, info, bio = new_shell(
        "%load_ext lamindb_jupyter",
        "%ln init --storage ./test-registries --modules bionty",
        "%ln filter ULabel",
        "%ln info",
        "import lamindb_core.bio as bt\nbt.CellType.filter().count()",
    )
    assert init["error"] is None, init  # was: UsageError: unknown subcommand 'init'
    assert init["out"].startswith("→ initialized lamindb: ") and init["out"].rstrip().endswith("/test-registries")
    assert (tmp_path / "test-registries" / ".lamindb").is_dir()  # relative to the notebook's folder
    assert query["error"] is None and query["result"] == "DataFrame", query
    assert f"storage:  {tmp_path / 'test-registries'}" in info["out"] and "modules:  bio" in info["out"]
    assert bio["error"] is None and bio["result"] == "int", bio
    # running the cell again connects to the instance it made
    [load, again] = new_shell("%load_ext lamindb_jupyter", "%ln init --storage ./test-registries --modules bionty")
    assert again["error"] is None and "exists already, connecting" in again["out"], again


FAILED_INITS = {
    # the library refuses: an unknown module
    "library": ("%ln init --storage ./other --modules foo", "unknown module(s) foo; available: bio"),
    # the magic refuses its words: nothing is tried, the kernel is left the same way
    "option": ("%ln init --storag ./other", "%ln init has no option --storag. Did you mean '--storage'?"),
    "storage": ("%ln init", "%ln init needs --storage FOLDER, as in: %ln init --storage ./test-registries"),
}


@pytest.mark.parametrize("name", list(FAILED_INITS))
def test_extension_failed_init_leaves_the_kernel_without_an_instance(new_shell, prepared_home, name):
    cell, reason = FAILED_INITS[name]
    load, before, init, save, query, info, connect, after = new_shell(
        "%load_ext lamindb_jupyter",
        "%ln info",
        cell,
        "import lamindb_core as ln\nln.ULabel(name='meant for the new instance').save()",
        "%ln filter ULabel",
        "%ln info",
        "%ln connect registries",
        "df = %ln filter ULabel --order-by name\nprint(list(df['name']))",
        home=prepared_home,
    )
    slug = before["out"].splitlines()[0].removeprefix("Current instance: ")
    assert init["error"] == "UsageError", init
    assert init["message"].startswith(reason)
    assert init["message"].endswith(
        f"; this kernel uses no instance until %ln init or %ln connect succeeds (the last connected instance was {slug})"
    )
    # the next cells neither write into the instance used before nor create a default one
    assert save["error"] == "SetupError" and "this process has no instance until" in save["message"], save
    assert query["error"] == "UsageError" and "this process has no instance until" in query["message"], query
    assert info["error"] is None and info["out"].startswith("Current instance: none ("), info
    assert connect["error"] is None and f"connected lamindb: {slug}" in connect["out"], connect
    assert after["error"] is None and after["out"] == "['Candidate marker study 1', 'DMSO']\n", after


def test_extension_connect_is_the_first_command_of_a_new_kernel(new_shell, prepared_home):
    load, info, connect, query = new_shell(
        "%load_ext lamindb_jupyter", "%ln info", "%ln connect registries", "%ln get ULabel name=DMSO", home=prepared_home
    )
    assert connect["error"] is None and "→ connected lamindb: " in connect["out"], connect
    assert query["error"] is None and query["result"] == "ULabel", query


def test_extension_load_puts_the_kernels_scripts_on_the_path(new_shell):
    # JupyterLab started as .venv/bin/jupyter lab: the kernel's PATH lacks .venv/bin
    folder = os.path.dirname(sys.executable)
    bare_path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if os.path.normpath(p) != folder)
    before, load, version, unload, after = new_shell(
        "print(bool(__import__('shutil').which('lamin-core')))",
        "%load_ext lamindb_jupyter",
        "out = !lamin-core --version\nprint(out)",
        "%unload_ext lamindb_jupyter",
        "import os\nprint(os.environ['PATH'])",
        env={"PATH": bare_path},
    )
    if before["out"].strip() != "False":
        pytest.skip("another lamin-core is on the PATH without .venv/bin")
    assert version["out"].strip() == "['lamin-core 0.1.0']", version
    assert after["out"].strip() == bare_path  # unloading takes it off again
