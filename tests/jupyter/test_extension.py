"""Loading and unloading the extension; importing it stays light; the first cell of a fresh kernel."""

from __future__ import annotations

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
