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

def viz_imports(path: pathlib.Path) -> set[str]:
    """The viz sub-packages ('core', 'render', 'imgui', 'protocol', ...) a file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] if node.module != 'viz' else [f'viz.{alias.name}' for alias in node.names]
        found.update(name.split('.')[1] for name in names if name.startswith('viz.'))
    return found

@pytest.mark.parametrize('path', files('viz/render'), ids=lambda p: str(p.relative_to(ROOT)))
def test_render_side_has_no_gui_imports(path):
    """The render thread's side imports no toolkit and nothing of the GUI side or the view core."""
    bad = (imported_roots(path) & GUI_MODULES) | (viz_imports(path) - {'render', 'protocol', 'files', 'faults'})
    assert not bad, f'{path.relative_to(ROOT)} imports {sorted(bad)}'

@pytest.mark.parametrize('path', files('viz/core') + [ROOT / 'viz' / 'protocol.py'], ids=lambda p: str(p.relative_to(ROOT)))
def test_view_core_imports_no_toolkit_and_no_torch(path):
    bad = (imported_roots(path) & (GUI_MODULES | {'torch', 'sg3', 'gui_utils', 'tkinter'})) | (viz_imports(path) - {'core', 'protocol', 'files'})
    assert not bad, f'{path.relative_to(ROOT)} imports {sorted(bad)}'

@pytest.mark.parametrize('path', files('viz/imgui'), ids=lambda p: str(p.relative_to(ROOT)))
def test_gui_side_never_imports_torch_or_the_render_side(path):
    """Views talk to the render thread only through the view core (which owns the worker)."""
    bad = (imported_roots(path) & {'torch', 'sg3', 'tkinter', 'pyopengltk'}) | (viz_imports(path) - {'core', 'protocol', 'imgui', 'files'})
    assert not bad, f'{path.relative_to(ROOT)} imports {sorted(bad)}'

@pytest.mark.parametrize('path', files('viz/tk'), ids=lambda p: str(p.relative_to(ROOT)))
def test_tk_side_never_imports_torch_imgui_or_the_render_side(path):
    """The Tk front end talks to the render thread only through the view core, and knows nothing of imgui or GLFW."""
    bad = (imported_roots(path) & {'torch', 'sg3', 'imgui', 'glfw'}) | (viz_imports(path) - {'core', 'protocol', 'tk', 'files'})
    assert not bad, f'{path.relative_to(ROOT)} imports {sorted(bad)}'

def test_sg3_top_level_import_stays_light():
    """`import sg3` must not pull in matplotlib or any GUI module."""
    import subprocess, sys
    code = 'import sys, sg3, sg3.networks_stylegan3; print(sorted(m for m in sys.modules if m.split(".")[0] in {"matplotlib", "imgui", "glfw", "OpenGL", "scipy"}))'
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == '[]'

def test_headless_command_line_imports_no_toolkit():
    """`python -m viz render` runs without a window or display: viz/__main__.py never imports a toolkit or the GUI side."""
    path = ROOT / 'viz' / '__main__.py'
    bad = (imported_roots(path) & (GUI_MODULES | {'tkinter', 'gui_utils'})) | (viz_imports(path) - {'core', 'render', 'protocol', 'files'})
    assert not bad, f'viz/__main__.py imports {sorted(bad)}'
