"""Shared test settings: a non-interactive matplotlib and a small, seeded digits data set."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def digits():
    from aekit.data import load

    return load("digits")


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """The package's test networks are tiny: one thread is as fast, and far faster than two
    when other work shares the cores (thread hand-offs then stall every step)."""
    import torch

    from threadpoolctl import threadpool_limits  # NumPy's BLAS too (scikit-learn's PCA, ...)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(threads)
