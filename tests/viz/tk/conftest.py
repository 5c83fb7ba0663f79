"""Fixtures: a Tk root under Xvfb, and the panel harness drawing against a ViewCore with a FakeWorker (the tiny network
file of the end-to-end tests is tests/viz/conftest.py's)."""

import tkinter as tk
from tkinter import ttk

import pytest

from tests.viz.tk.harness import Pane, make_core


@pytest.fixture()
def root(xdisplay):
    root = tk.Tk()
    ttk.Style(root).theme_use('clam')
    root.geometry('700x1000')
    yield root
    root.destroy()


@pytest.fixture()
def pane(root, tmp_path):
    """The panel harness on a ViewCore with a FakeWorker (`pane.core`, `pane.worker`)."""
    pane = Pane(root, make_core(tmp_path))
    yield pane
    pane.close()
    pane.core.close()

