"""scripts/run.sh in a copy of the repository's layout, with the setup steps and the venv's python replaced by stand-ins
that record what they were asked: the app runs in the folder run.sh was started from, with the repository's
visualizer.py by path and the arguments passed on."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_run_sh_keeps_the_callers_folder(tmp_path):
    repo = tmp_path / 'repo'
    (repo / 'scripts').mkdir(parents=True)
    (repo / '.venv' / 'bin').mkdir(parents=True)
    shutil.copy(REPO / 'scripts' / 'run.sh', repo / 'scripts' / 'run.sh')
    log = tmp_path / 'log'
    for name in ('system-packages.sh', 'setup.sh'):             # Stand-ins: record where they were run.
        (repo / 'scripts' / name).write_text(f'echo "{name} $(pwd) $*" >> {log}\n')
    python = repo / '.venv' / 'bin' / 'python'
    python.write_text(f'#!/bin/sh\necho "python $(pwd) $*" >> {log}\n')
    python.chmod(0o755)
    work = tmp_path / 'my work'
    work.mkdir()
    subprocess.run(['bash', str(repo / 'scripts' / 'run.sh'), 'net.pkl', '--device', 'cpu'], cwd=work, check=True, timeout=60,
        env={'PATH': '/usr/bin:/bin', 'DISPLAY': ':99'})
    lines = log.read_text().splitlines()
    assert lines[-1] == f'python {work} {repo / "visualizer.py"} net.pkl --device cpu'
    assert lines[-2] == f'setup.sh {work} requirements.txt'   # setup.sh changes into the repository itself.
