"""Every public function, given the inputs students really pass: the right answer, or a clear
error that says what to do. Never a raw torch or NumPy message, never a wrong result."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from aekit import fit
from aekit.applications.anomaly import pca_scores
from aekit.corruption import corrupt
from aekit.device import seeded
from aekit.evaluate import encode, pca_baseline, reconstruct, reconstruction_error
from aekit.applications.hashing import pca_codes
from aekit.applications.imaging import psnr
from aekit.linear import pca_projector
from aekit.models import Autoencoder

X = (torch.rand(40, 64, generator=torch.Generator().manual_seed(0)) > 0.5).float()


def _model():
    with seeded(0):
        return Autoencoder(64, 4)


def _fit(A):
    model = _model()
    return fit(model, A, epochs=1, progress=False, seed=0).train_loss


FUNCTIONS = {
    "fit": _fit,
    "reconstruction_error": lambda A: reconstruction_error(_model(), A),
    "encode": lambda A: encode(_model(), A),
    "reconstruct": lambda A: reconstruct(_model(), A),
    "pca_baseline": lambda A: pca_baseline(A, A, 4),
    "pca_scores": lambda A: pca_scores(A, A, 4),
    "pca_codes": lambda A: pca_codes(A, A, 4),
    "pca_projector": lambda A: pca_projector(A, 4),
    "psnr": lambda A: psnr(A, X * 0.5),
    "corrupt": lambda A: corrupt(A, "masking", 0.0),
}

GOOD = {  # other forms of the same numbers: the same answer as float32
    "float64 array": lambda: X.numpy().astype(np.float64),
    "int array": lambda: X.numpy().astype(np.int64),
    "list": lambda: X.tolist(),
    "float64 tensor": lambda: X.double(),
}
BAD = {  # each must be refused with a message that says what was wrong
    "1-D vector": (lambda: X[0], r"one example|reshape|batch|1-D|2-D|shape"),
    "wrong width": (lambda: X[:, :60], r"64|width|shape|features|input"),
    "NaN": (lambda: torch.where(X.bool(), torch.tensor(float("nan")), X), r"NaN"),
    "inf": (lambda: torch.where(X.bool(), torch.tensor(float("inf")), X), r"NaN or infinite|inf"),
    "empty": (lambda: X[:0], r"empty|no |at least one|0 "),
}
WIDTH_FREE = {"pca_baseline", "pca_scores", "pca_codes", "pca_projector", "psnr", "corrupt"}


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return torch.allclose(a.float(), torch.as_tensor(b).float(), atol=1e-5)
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), atol=1e-5)


@pytest.mark.parametrize("form", GOOD)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_other_forms_of_the_numbers_give_the_float32_answer(name, form):
    if name == "corrupt" and form in ("list", "int array"):
        with pytest.raises(TypeError, match="torch.Tensor|floating-point"):
            FUNCTIONS[name](GOOD[form]())            # documented: corrupt takes float tensors
        return
    assert _same(FUNCTIONS[name](GOOD[form]()), FUNCTIONS[name](X))


@pytest.mark.parametrize("case", BAD)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_bad_inputs_are_refused_clearly(name, case):
    make, words = BAD[case]
    if case == "wrong width" and name in WIDTH_FREE:
        pytest.skip("takes any width (fits its own model to the data)")
    if name == "corrupt" and case in ("NaN", "inf", "1-D vector", "wrong width"):
        pytest.skip("corrupt works elementwise on any shape and passes values through")
    if case == "empty" and name in ("encode", "reconstruct", "corrupt"):
        assert len(FUNCTIONS[name](make())) == 0   # nothing in, nothing out: the right answer
        return
    with pytest.raises((ValueError, TypeError)) as err:
        FUNCTIONS[name](make())
    message = str(err.value)
    assert re.search(words, message, re.I), f"{name}({case}): unclear message {message!r}"
    assert "mat1 and mat2" not in message and "Expected" not in message[:9]


def test_a_gpu_that_is_not_there_is_a_clear_error(monkeypatch):
    from aekit.device import get_device

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    monkeypatch.setenv("AEKIT_DEVICE", "cuda")
    with pytest.raises(ValueError, match="not available on this machine.*unset it or choose 'cpu'"):
        get_device()
    with pytest.raises(ValueError, match="not available"):
        fit(_model(), X, epochs=1, progress=False)

