"""corrupt(): each kind hits its level, never modifies X, and is reproducible on a generator."""
import pytest
import torch

from aekit.corruption import corrupt


@pytest.fixture
def X():
    return torch.rand(400, 64, generator=torch.Generator().manual_seed(0)) * 0.8 + 0.1  # (0.1, 0.9)


@pytest.mark.parametrize("level", [0.1, 0.3, 0.5])
def test_gaussian_noise_has_requested_std_and_zero_mean(X, level):
    noise = corrupt(X, "gaussian", level, generator=torch.Generator().manual_seed(1)) - X
    assert noise.std().item() == pytest.approx(level, rel=0.02)
    assert abs(noise.mean().item()) < 0.01


@pytest.mark.parametrize("level", [0.1, 0.25, 0.5])
def test_masking_zeroes_requested_fraction_and_keeps_the_rest(X, level):
    X_tilde = corrupt(X, "masking", level, generator=torch.Generator().manual_seed(2))
    zeroed = X_tilde == 0  # X has no zeros of its own
    assert zeroed.float().mean().item() == pytest.approx(level, abs=0.01)
    assert torch.equal(X_tilde[~zeroed], X[~zeroed])


@pytest.mark.parametrize("level", [0.1, 0.4])
def test_salt_and_pepper_hits_requested_fraction_half_each(X, level):
    X_tilde = corrupt(X, "salt_and_pepper", level, generator=torch.Generator().manual_seed(3))
    salt, pepper = X_tilde == 1, X_tilde == 0
    assert (salt | pepper).float().mean().item() == pytest.approx(level, abs=0.01)
    assert salt.float().mean().item() == pytest.approx(level / 2, abs=0.01)
    untouched = ~(salt | pepper)
    assert torch.equal(X_tilde[untouched], X[untouched])


@pytest.mark.parametrize("kind", ["gaussian", "masking", "salt_and_pepper"])
def test_input_is_never_modified_and_result_is_new(X, kind):
    before = X.clone()
    X_tilde = corrupt(X, kind, 0.3)
    assert torch.equal(X, before)
    assert X_tilde.data_ptr() != X.data_ptr()
    assert X_tilde.shape == X.shape and X_tilde.dtype == X.dtype
    assert not torch.equal(X_tilde, X)


@pytest.mark.parametrize("kind", ["gaussian", "masking", "salt_and_pepper"])
def test_same_generator_seed_gives_same_noise(X, kind):
    a = corrupt(X, kind, 0.3, generator=torch.Generator().manual_seed(7))
    b = corrupt(X, kind, 0.3, generator=torch.Generator().manual_seed(7))
    c = corrupt(X, kind, 0.3, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_level_zero_is_an_unchanged_copy(X):
    for kind in ("gaussian", "masking", "salt_and_pepper"):
        assert torch.equal(corrupt(X, kind, 0.0), X)


def test_clip_keeps_values_in_unit_interval(X):
    X_tilde = corrupt(X, "gaussian", 1.0, clip=True)
    assert X_tilde.min() >= 0 and X_tilde.max() <= 1
    assert corrupt(X, "gaussian", 1.0).max() > 1  # without clip the noise is left as drawn


@pytest.mark.parametrize("kind, level, match", [
    ("blur", 0.1, "unknown corruption kind 'blur'"),
    ("masking", 1.5, "fraction"),
    ("salt_and_pepper", -0.1, "fraction"),
    ("gaussian", -1.0, "standard deviation"),
    ("gaussian", float("nan"), "finite"),
])
def test_bad_kind_or_level_raises_clear_error(X, kind, level, match):
    with pytest.raises(ValueError, match=match):
        corrupt(X, kind, level)


def test_generator_on_another_device_draws_there_and_the_noise_moves(X):
    """A CPU generator corrupts a tensor on another device: the draw happens on the CPU (the
    same numbers as for a CPU tensor) and the result lands on X's device."""
    on_meta = corrupt(X.to("meta"), "masking", 0.2, generator=torch.Generator().manual_seed(3))
    assert on_meta.device.type == "meta" and on_meta.shape == X.shape
    first = corrupt(X, "masking", 0.2, generator=torch.Generator().manual_seed(3))
    again = corrupt(X, "masking", 0.2, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, again) and not torch.equal(first, X)


def test_fit_trains_against_clean_targets():
    """fit(corruption=...) scores the reconstruction of the corrupted input against clean X."""
    from aekit.models import Autoencoder
    from aekit.train import fit

    X = torch.rand(64, 16, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    model = Autoencoder(16, 32, output_activation="linear")
    seen = []

    def spy(X_b):
        seen.append(corrupt(X_b, "masking", 0.5))
        return seen[-1]

    history = fit(model, X, epochs=1, batch_size=64, loss="mse", corruption=spy, shuffle=False,
                  progress=False, lr=1e-9)
    with torch.no_grad():
        against_clean = ((model(seen[0]) - X) ** 2).sum(1).mean().item()
        against_corrupted = ((model(seen[0]) - seen[0]) ** 2).sum(1).mean().item()
    assert history.terms["reconstruction"][0] == pytest.approx(against_clean, rel=1e-4)
    assert abs(against_clean - against_corrupted) > 0.1


@pytest.mark.slow
@pytest.mark.parametrize("kind, level", [("masking", 0.3), ("gaussian", 0.3), ("salt_and_pepper", 0.2)])
def test_denoising_ae_beats_plain_ae_on_corrupted_test_digits(digits, kind, level):
    """Same size, same budget, same seed: only the corrupted training inputs differ."""
    from aekit.evaluate import reconstruct
    from aekit.models import Autoencoder
    from aekit.train import fit

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models train fastest on one thread
    try:
        X_noisy = corrupt(digits.X_test, kind, level, generator=torch.Generator().manual_seed(1))
        errors = {}
        for corruption in (None, (kind, level)):
            torch.manual_seed(0)
            model = Autoencoder(64, 128)  # overcomplete: a plain AE is free to copy the noise
            fit(model, digits.X_train, epochs=20, lr=3e-3, corruption=corruption, progress=False)
            X_hat = reconstruct(model, X_noisy)
            errors[corruption is not None] = ((X_hat - digits.X_test) ** 2).sum(1).mean().item()
    finally:
        torch.set_num_threads(threads)
    assert errors[True] < 0.9 * errors[False], errors


@pytest.mark.parametrize("kind", ["gaussian", "masking", "salt_and_pepper"])
def test_level_for_error_matches_the_damage_of_every_kind(X, kind):
    from aekit.corruption import input_error, level_for_error

    target = input_error(X, "gaussian", 0.3, seed=4)
    level = level_for_error(X, kind, target, seed=4)
    assert input_error(X, kind, level, seed=4) == pytest.approx(target, rel=0.01)
    if kind == "gaussian":
        assert level == pytest.approx(0.3, abs=1e-3)


def test_level_for_error_refuses_damage_out_of_reach(X):
    from aekit.corruption import input_error, level_for_error

    with pytest.raises(ValueError, match="level 1"):
        level_for_error(X, "masking", 2 * input_error(X, "masking", 1.0))
    with pytest.raises(ValueError, match="positive"):
        level_for_error(X, "masking", 0.0)


def test_unclipped_input_error_is_the_damage_a_network_is_given(X):
    from aekit.corruption import corrupt, input_error, level_for_error

    X = X.clamp(0, 1)
    noisy = corrupt(X, "gaussian", 0.3, generator=torch.Generator().manual_seed(4))
    assert input_error(X, "gaussian", 0.3, seed=4, clip=False) == pytest.approx(
        float((noisy - X).pow(2).sum(1).mean()), rel=1e-6)
    # clipping removes part of Gaussian noise, never adds any
    assert input_error(X, "gaussian", 0.3, seed=4) <= input_error(X, "gaussian", 0.3, seed=4,
                                                                  clip=False)
    target = input_error(X, "gaussian", 0.3, seed=4, clip=False)
    level = level_for_error(X, "masking", target, seed=4, clip=False)
    assert input_error(X, "masking", level, seed=4, clip=False) == pytest.approx(target, rel=0.01)
