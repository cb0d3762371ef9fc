"""Shared test settings: a non-interactive matplotlib and a small, seeded digits data set."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def digits():
    from aekit.data import load

    return load("digits")
