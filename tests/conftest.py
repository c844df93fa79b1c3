"""Shared pytest configuration of the core's tests."""


def pytest_configure(config):
    # `nox -s examples` selects these with -m examples; `nox -s tests` deselects them
    config.addinivalue_line("markers", "examples: smoke runs of the scripts in examples/")
