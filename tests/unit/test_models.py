"""The dense Autoencoder: wiring, shapes, clear errors, tied weights and dropout."""
import pytest
import torch

from aekit.models import Autoencoder


@pytest.fixture
def X():
    return torch.rand(6, 10, generator=torch.Generator().manual_seed(0))


def test_shapes_and_forward_is_decode_of_encode(X):
    torch.manual_seed(0)
    model = Autoencoder(10, 3, hidden_dims=(8, 5)).eval()
    Z = model.encode(X)
    assert Z.shape == (6, 3)
    assert model.decode(Z).shape == (6, 10)
    torch.testing.assert_close(model(X), model.decode(Z))
    assert [h.shape[1] for h in model.hidden_activations(X)] == [8, 5, 3]
    assert [tuple(layer.weight.shape) for layer in model.encoder] == [(8, 10), (5, 8), (3, 5)]
    assert [tuple(layer.weight.shape) for layer in model.decoder] == [(5, 3), (8, 5), (10, 8)]


def test_computes_what_the_architecture_says(X):
    """x -> relu(W1 x + b1) -> z = W2 h + b2 (linear code) -> relu(W3 z + b3) -> sigmoid(W4 h + b4)."""
    torch.manual_seed(1)
    model = Autoencoder(10, 3, hidden_dims=(4,), activation="relu").eval()
    (e1, e2), (d1, d2) = model.encoder, model.decoder
    h = torch.relu(X @ e1.weight.T + e1.bias)
    Z = h @ e2.weight.T + e2.bias
    X_hat = torch.sigmoid(torch.relu(Z @ d1.weight.T + d1.bias) @ d2.weight.T + d2.bias)
    with torch.no_grad():
        torch.testing.assert_close(model.encode(X), Z)
        torch.testing.assert_close(model(X), X_hat)


def test_activation_options(X):
    torch.manual_seed(2)
    model = Autoencoder(10, 4, hidden_dims=(6,), activation="tanh", code_activation="sigmoid").eval()
    with torch.no_grad():
        hidden, Z = model.hidden_activations(X * 50)  # large inputs saturate the units
        X_hat = model(X)
    assert hidden.abs().max() <= 1 and hidden.min() < 0  # tanh, not relu or sigmoid
    assert 0 <= Z.min() and Z.max() <= 1                  # sigmoid code
    assert 0 < X_hat.min() and X_hat.max() < 1            # sigmoid output by default


def test_linear_autoencoder_is_affine():
    torch.manual_seed(3)
    model = Autoencoder(7, 2, hidden_dims=(5,), activation="linear", output_activation="linear").eval()
    A, B = torch.randn(4, 7), torch.randn(4, 7)
    zero = model(torch.zeros(1, 7))
    with torch.no_grad():
        torch.testing.assert_close(model(A + B) - zero, (model(A) - zero) + (model(B) - zero))
        assert model(10 * A).abs().max() > 1  # no squashing output


@pytest.mark.parametrize("kwargs, message", [
    ({"code_dim": 0}, "code_dim must be a positive integer, got 0"),
    ({"code_dim": -3}, "code_dim must be a positive integer"),
    ({"code_dim": 2.5}, "code_dim must be a positive integer"),
    ({"code_dim": True}, "code_dim must be a positive integer"),
    ({"input_dim": 0}, "input_dim must be a positive integer"),
    ({"hidden_dims": (8, 0)}, "hidden_dims must be positive integers"),
    ({"hidden_dims": (4.5,)}, "hidden_dims must be positive integers"),
    ({"dropout": 1.0}, r"dropout is a probability in \[0, 1\)"),
    ({"dropout": -0.1}, "dropout is a probability"),
    ({"activation": "swish"}, "activation must be one of .*relu.*got 'swish'"),
    ({"output_activation": "softmax"}, "output_activation must be one of"),
])
def test_bad_settings_are_clear_errors(kwargs, message):
    settings = {"input_dim": 10, "code_dim": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        Autoencoder(**settings)


def test_wrong_input_width_is_a_clear_error():
    model = Autoencoder(64, 8)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, 64\), got \(5, 63\).*input_dim=63"):
        model(torch.rand(5, 63))
    with pytest.raises(ValueError, match="flatten images first"):
        model(torch.rand(5, 1, 8, 8))
    with pytest.raises(ValueError, match=r"got \(64,\)"):
        model(torch.rand(64))
    with pytest.raises(TypeError, match="expects a torch.Tensor, got list"):
        model.encode([[0.0] * 64])
    with pytest.raises(ValueError, match=r"decode expects codes of shape \(batch, 8\)"):
        model.decode(torch.rand(5, 7))


def test_tied_weights_share_storage(X):
    torch.manual_seed(4)
    tied = Autoencoder(10, 3, hidden_dims=(6,), tied=True)
    untied = Autoencoder(10, 3, hidden_dims=(6,))
    n_weights = 10 * 6 + 6 * 3
    assert sum(p.numel() for p in untied.parameters()) - sum(p.numel() for p in tied.parameters()) == n_weights
    # the decoder reads the encoder's matrices: one tensor, two uses
    tied.eval()
    before = tied(X).detach()
    with torch.no_grad():
        tied.encoder[0].weight[0, 0] += 1.0        # change a weight only the encoder "owns"
    Z = tied.encode(X).detach()
    with torch.no_grad():
        h = torch.relu(Z @ tied.encoder[1].weight + tied.decoder_biases[0])
        expected = torch.sigmoid(h @ tied.encoder[0].weight + tied.decoder_biases[1])
        torch.testing.assert_close(tied.decode(Z), expected)
        assert not torch.allclose(tied(X), before)
    # decoding alone sends gradient to the encoder's weights
    tied.decode(Z).sum().backward()
    assert tied.encoder[0].weight.grad is not None and tied.encoder[0].weight.grad.abs().sum() > 0


def test_dropout_only_while_training(X):
    torch.manual_seed(5)
    model = Autoencoder(10, 4, hidden_dims=(64,), dropout=0.5)
    plain = Autoencoder(10, 4, hidden_dims=(64,))
    plain.load_state_dict(model.state_dict())
    model.train()
    first, second = model(X), model(X)
    assert not torch.allclose(first, second)  # a fresh mask each pass
    hidden = model.hidden_activations(X)[0]
    assert (hidden == 0).float().mean() > 0.3  # about half dropped (plus relu zeros)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(X), model(X))
        torch.testing.assert_close(model(X), plain.eval()(X))  # eval mode: no dropout at all


def test_repr_names_the_architecture():
    text = repr(Autoencoder(784, 30, hidden_dims=(1000, 500, 250), activation="sigmoid", tied=True))
    assert "784-1000-500-250-30" in text and "sigmoid" in text and "tied" in text
