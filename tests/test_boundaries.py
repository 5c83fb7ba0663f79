"""The package boundaries of DESIGN.md, checked on the import statements of every module."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
GUI_MODULES = {'imgui', 'glfw', 'OpenGL', 'pyopengltk'}

def imported_roots(path: pathlib.Path) -> set[str]:
    """Top-level names of every module a file imports, anywhere in the file (lazy imports too)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split('.')[0])
    return roots

def files(folder: str, pattern: str = '*.py') -> list[pathlib.Path]:
    found = sorted((ROOT / folder).rglob(pattern))
    assert found, f'no Python files under {folder}/'
    return found

@pytest.mark.parametrize('path', files('sg3'), ids=lambda p: str(p.relative_to(ROOT)))
def test_sg3_imports_only_torch_numpy_stdlib_and_lazy_matplotlib(path):
    bad = imported_roots(path) & (GUI_MODULES | {'viz', 'gui_utils', 'scipy'})
    assert not bad, f'{path.name} imports {sorted(bad)}'

@pytest.mark.parametrize('path', files('gui_utils'), ids=lambda p: str(p.relative_to(ROOT)))
def test_gui_utils_knows_nothing_about_gans(path):
    bad = imported_roots(path) & {'sg3', 'viz', 'torch'}
    assert not bad, f'{path.name} imports {sorted(bad)}'

@pytest.mark.parametrize('name', ['protocol.py', 'render_worker.py', 'renderer.py'])
def test_render_side_has_no_gui_imports(name):
    bad = imported_roots(ROOT / 'viz' / name) & GUI_MODULES
    assert not bad, f'viz/{name} imports {sorted(bad)}'

@pytest.mark.parametrize('path', files('viz/widgets'), ids=lambda p: str(p.relative_to(ROOT)))
def test_widgets_never_import_torch(path):
    bad = imported_roots(path) & {'torch', 'sg3'}
    assert not bad, f'{path.name} imports {sorted(bad)}'

def test_sg3_top_level_import_stays_light():
    """`import sg3` must not pull in matplotlib or any GUI module."""
    import subprocess, sys
    code = 'import sys, sg3, sg3.networks_stylegan3; print(sorted(m for m in sys.modules if m.split(".")[0] in {"matplotlib", "imgui", "glfw", "OpenGL", "scipy"}))'
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == '[]'
