"""A module-scoped fixture that runs a test module on one thread (torch and NumPy's BLAS).

The networks and matrices in the unit tests are tiny: a second thread brings no speed, and on
a CPU shared with other work two threads that wait for each other can stall for milliseconds
at every operation. Import ``one_thread`` into a test module to use it there; the previous
thread counts come back when the module is done.
"""
import pytest
import torch
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(threads)
