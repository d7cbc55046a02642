"""core imports no Qt or TensorFlow; the CLI and the GUI modules import no TensorFlow at start-up."""
import subprocess
import sys


from support import ROOT

CHECK = """
import sys, importlib
for name in {modules!r}:
    importlib.import_module(name)
heavy = sorted(m for m in ('tensorflow', 'keras', 'PySide6', 'pyqtgraph') if m in sys.modules)
print(','.join(heavy))
"""


def _heavy_after_import(modules):
    out = subprocess.run([sys.executable, "-c", CHECK.format(modules=modules)], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT / "app"), "PATH": ""}, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_core_is_free_of_qt_and_tensorflow():
    modules = ["digitpad.core." + p.stem for p in (ROOT / "app/digitpad/core").glob("*.py") if p.stem != "__init__"]
    assert _heavy_after_import(modules) == ""


def test_cli_entry_imports_no_tensorflow():
    assert _heavy_after_import(["digitpad.cli"]) == ""


def test_gui_modules_import_no_tensorflow_at_start_up():
    heavy = _heavy_after_import(["digitpad.gui.app", "digitpad.gui.main_window"])
    assert "tensorflow" not in heavy and "keras" not in heavy
    assert "PySide6" in heavy  # sanity: the GUI modules really were imported
