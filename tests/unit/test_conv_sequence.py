"""Convolutional and LSTM autoencoders: shapes in and out, and a clear win over the mean."""
import pytest
import torch

from aekit import fit, seed_everything
from aekit.data import sine_waves
from aekit.evaluate import reconstruction_error
from aekit.models import ConvAutoencoder, SequenceAutoencoder


def mean_baseline(X_train, X_test):
    """Error of predicting every test example by the mean training example."""
    return float(((X_test - X_train.mean(0)) ** 2).reshape(len(X_test), -1).sum(1).mean())


@pytest.mark.parametrize("shape, channels", [((8, 8), (8, 16)), ((28, 28), (4, 8, 8)),
                                             ((3, 10, 6), (4,))])
def test_conv_returns_the_shape_it_was_given(shape, channels):
    model = ConvAutoencoder(shape, channels=channels, code_dim=5).eval()
    c, h, w = (1, *shape) if len(shape) == 2 else shape
    rows = torch.rand(2, c * h * w)
    assert model(rows).shape == rows.shape
    images = rows.reshape(2, c, h, w)
    assert model(images).shape == images.shape
    torch.testing.assert_close(model(images).reshape(2, -1), model(rows))
    assert model.encode(rows).shape == (2, 5)
    assert model.decode(model.encode(rows)).shape == (2, c * h * w)


def test_conv_without_dense_code_keeps_the_feature_maps():
    model = ConvAutoencoder((28, 28), channels=(4, 8))
    assert model.code_dim == 8 * 7 * 7
    assert model.encode(torch.rand(3, 784)).shape == (3, 8 * 7 * 7)


@pytest.mark.slow
def test_conv_beats_the_mean_image_on_digits(digits):
    seed_everything(0)
    model = ConvAutoencoder(digits.image_shape, channels=(8, 16), code_dim=16)
    history = fit(model, digits.X_train, epochs=10, lr=1e-2, progress=False)
    error = reconstruction_error(model, digits.X_test)
    assert error < 0.75 * mean_baseline(digits.X_train, digits.X_test)
    assert history.train_loss[-1] < history.train_loss[0]


def test_sine_waves_are_reproducible_labelled_and_in_range():
    waves = sine_waves(n=50, length=20, noise=0.1, frequencies=(1, 3), seed=4)
    assert waves.X_train.shape == (40, 20, 1) and waves.X_test.shape == (10, 20, 1)
    assert 0 <= float(waves.X_train.min()) and float(waves.X_train.max()) <= 1
    assert set(waves.y_train.tolist()) <= {0, 1} and len(waves.classes) == 2
    torch.testing.assert_close(waves.X_train, sine_waves(n=50, length=20, noise=0.1,
                                                         frequencies=(1, 3), seed=4).X_train)
    assert not torch.equal(waves.X_train, sine_waves(n=50, length=20, noise=0.1,
                                                     frequencies=(1, 3), seed=5).X_train)
    # without noise, the label's frequency is the strongest one in the spectrum
    clean = sine_waves(n=40, length=64, noise=0.0, frequencies=(2, 5), seed=0)
    spectrum = torch.fft.rfft(clean.X_train[..., 0] - 0.5).abs()
    peaks = spectrum.argmax(1)
    torch.testing.assert_close(peaks, torch.tensor([2, 5])[clean.y_train])
    with pytest.raises(ValueError, match="noise"):
        sine_waves(noise=-1)


def test_sequence_shapes_and_errors():
    model = SequenceAutoencoder(n_features=2, hidden_size=8, code_dim=3)
    X = torch.rand(4, 11, 2)
    assert model.encode(X).shape == (4, 3)
    assert model(X).shape == X.shape
    assert model.decode(model.encode(X), length=7).shape == (4, 7, 2)
    with pytest.raises(ValueError, match=r"\(batch, time, 2\)"):
        model(torch.rand(4, 11))


@pytest.mark.slow
def test_sequence_autoencoder_beats_the_mean_sequence():
    waves = sine_waves(n=300, length=32, noise=0.05, frequencies=(1, 2, 3), seed=0)
    seed_everything(0)
    model = SequenceAutoencoder(n_features=1, hidden_size=32, code_dim=4)
    history = fit(model, waves.X_train, epochs=20, lr=1e-2, batch_size=16, progress=False)
    error = reconstruction_error(model, waves.X_test)
    assert error < 0.6 * mean_baseline(waves.X_train, waves.X_test)
    assert set(history.terms) == {"reconstruction"}
