"""Loading and unloading the extension; importing it stays light."""

from __future__ import annotations

import subprocess
import sys


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
