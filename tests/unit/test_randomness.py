"""One seed for all of a run's randomness, and no hidden reseeding of the session."""
import numpy as np
import pytest
import torch

from aekit import fit, seed_everything
from aekit.checks import as_tensor
from aekit.device import resolve_seed, seeded
from aekit.models import BinaryCodeAutoencoder
from aekit.models import VAE, Autoencoder, ConcreteAutoencoder, RateDistortionAutoencoder

X = torch.rand(96, 16, generator=torch.Generator().manual_seed(0))

# every model whose training draws random numbers of its own, beside the shuffling
STOCHASTIC = {
    "dropout": lambda: Autoencoder(16, 4, hidden_dims=(12,), dropout=0.3),
    "VAE": lambda: VAE(16, 3, hidden_dims=(12,)),
    "concrete (Gumbel)": lambda: ConcreteAutoencoder(16, 4, hidden_dims=(12,)),
    "rate-distortion (quantisation)": lambda: RateDistortionAutoencoder(16, 4, hidden_dims=(12,)),
    "binary codes (noise)": lambda: BinaryCodeAutoencoder(16, 4, hidden_dims=(12,)),
}


def _trained(make, seed, corruption=None):
    with seeded(5):  # the same starting weights every time
        model = make()
    fit(model, X, epochs=2, batch_size=32, progress=False, seed=seed, corruption=corruption,
        shuffle=False)
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize("name", STOCHASTIC)
def test_all_of_a_models_noise_follows_fits_seed(name):
    """Without shuffling, only the model's own noise differs between two seeds: the same seed
    gives the same weights even when the session's generator was moved in between, and
    another seed gives other weights (so the noise really comes from the seed)."""
    make = STOCHASTIC[name]
    first = _trained(make, seed=1)
    torch.rand(1000)  # move the session's generator: it must not matter
    again = _trained(make, seed=1)
    other = _trained(make, seed=2)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_corruption_follows_fits_seed_too():
    make = lambda: Autoencoder(16, 4)  # noqa: E731
    a = _trained(make, 1, corruption=("masking", 0.3))
    torch.rand(10)
    assert torch.equal(a, _trained(make, 1, corruption=("masking", 0.3)))
    assert not torch.equal(a, _trained(make, 2, corruption=("masking", 0.3)))


def test_fit_and_explorer_studies_leave_the_session_generator_alone():
    """Training (with an explicit seed) and an explorer's study neither draw from nor reseed
    the session's generators: that is the lesson's or the user's call."""
    from aekit.data import load
    from aekit.widgets import BottleneckStudy

    model = STOCHASTIC["VAE"]()
    digits = load("digits")
    state, np_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    fit(model, X, epochs=1, progress=False, seed=3)
    BottleneckStudy(digits, code_dims=(2,), epochs=1, seed=0).model(2)
    assert torch.equal(torch.get_rng_state(), state)
    assert np.array_equal(np.random.get_state()[1], np_state)


def test_seed_none_follows_the_session_seed(monkeypatch):
    """fit(seed=None) draws its seed from the session: repeatable after seed_everything, and
    different for another AEKIT_SEED."""
    def run():
        seed_everything()
        model = Autoencoder(16, 4, dropout=0.2)
        fit(model, X, epochs=1, progress=False)
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    monkeypatch.setenv("AEKIT_SEED", "0")
    a, b = run(), run()
    monkeypatch.setenv("AEKIT_SEED", "7")
    c = run()
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_seed_everything_reads_aekit_seed(monkeypatch):
    monkeypatch.delenv("AEKIT_SEED", raising=False)
    assert seed_everything() == 0
    first = torch.rand(3)
    monkeypatch.setenv("AEKIT_SEED", "11")
    assert seed_everything() == 11
    assert not torch.equal(first, torch.rand(3))
    assert seed_everything(11) == 11
    monkeypatch.setenv("AEKIT_SEED", "eleven")
    with pytest.raises(ValueError, match="AEKIT_SEED='eleven' is not a whole number"):
        seed_everything()
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="non-negative integer"):
            seed_everything(bad)
        with pytest.raises(ValueError, match="non-negative integer"):
            resolve_seed(bad)


def test_seeded_restores_the_session_generator():
    state = torch.get_rng_state()
    with seeded(4):
        a = torch.rand(3)
    assert torch.equal(torch.get_rng_state(), state)
    with seeded(4):
        assert torch.equal(a, torch.rand(3))


@pytest.mark.parametrize("make", [
    lambda A: A.astype(np.float64),           # NumPy's default dtype
    lambda A: A.astype(np.float16),
    lambda A: (A * 255).round().astype(np.uint8) / 255,   # float64 again, from integers
    lambda A: A.tolist(),
    lambda A: torch.from_numpy(A).double(),
], ids=["float64 array", "float16 array", "array from integers", "list", "float64 tensor"])
def test_fit_takes_any_float_input_as_float32(make):
    A = X.numpy()
    reference = Autoencoder(16, 4)
    model = Autoencoder(16, 4)
    model.load_state_dict(reference.state_dict())
    expected = fit(reference, torch.from_numpy(np.asarray(make(A), dtype=np.float32)), epochs=2,
                   progress=False, seed=0)
    got = fit(model, make(A), epochs=2, progress=False, seed=0)
    assert got.train_loss == pytest.approx(expected.train_loss, rel=1e-6)
    assert as_tensor(make(A)).dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in model.parameters())
