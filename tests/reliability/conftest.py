"""The app's fixtures (one torch thread, a tiny network file) serve the reliability tests too; the soak marker."""

from tests.viz.conftest import one_thread, tiny_network  # noqa: F401 (fixtures)


def pytest_configure(config):
    config.addinivalue_line('markers', 'soak: the two-minute soak run, the one long test of the suite (deselect with -m "not soak")')
