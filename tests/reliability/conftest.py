"""The app's fixtures (one torch thread, a tiny network file) serve the reliability tests too."""

from tests.viz.conftest import one_thread, tiny_network  # noqa: F401 (fixtures)
