"""Figures: each function returns a Figure with the expected axes, images and lines."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from aekit import plot
from aekit.train import History


def images_in(fig: Figure) -> int:
    return sum(len(ax.images) for ax in fig.axes)


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    """The functions build Figures directly: nothing may pile up in pyplot's global state."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before


def test_image_grid_lays_out_every_image():
    X = torch.rand(13, 12)
    fig = plot.image_grid(X, image_shape=(3, 4), ncols=5, titles=[str(i) for i in range(13)], title="grid")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 15 and images_in(fig) == 13  # 3 rows of 5, two left empty
    first = fig.axes[0].images[0].get_array()
    assert first.shape == (3, 4)
    np.testing.assert_allclose(first, X[0].reshape(3, 4).numpy())
    assert fig.axes[12].get_title() == "12" and fig._suptitle.get_text() == "grid"


def test_image_grid_with_few_images_and_a_wrong_shape():
    assert len(plot.image_grid(np.zeros((2, 64)), ncols=10).axes) == 2  # no empty columns
    with pytest.raises(ValueError, match=r"cannot show rows of 64 values as \(28, 28\) images"):
        plot.image_grid(np.zeros((2, 64)), image_shape=(28, 28))


def test_reconstructions_rows():
    X, X_hat, noisy = torch.rand(6, 64), torch.rand(6, 64), torch.rand(6, 64)
    fig = plot.reconstructions(X, X_hat, n=4)
    assert len(fig.axes) == 8 and images_in(fig) == 8
    np.testing.assert_allclose(fig.axes[4].images[0].get_array(), X_hat[0].reshape(8, 8).numpy())
    assert fig.axes[0].get_ylabel() == "input" and fig.axes[4].get_ylabel() == "reconstruction"
    fig = plot.reconstructions(X, X_hat, n=10, extra_rows=[noisy])  # n is capped by the data
    assert len(fig.axes) == 18 and images_in(fig) == 18


def test_loss_curves_draw_the_history():
    history = History(train_loss=[5.0, 3.0, 2.0], val_loss=[6.0, 4.0, 3.5])
    fig = plot.loss_curves(history, log=True)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), history.train_loss)
    np.testing.assert_allclose(lines[1].get_xdata(), [1, 2, 3])
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in lines] == ["train", "validation"]
    relabelled = plot.loss_curves(history, val_label="test").axes[0].get_lines()
    assert relabelled[1].get_label() == "test"
    assert len(plot.loss_curves(History(train_loss=[1.0])).axes[0].get_lines()) == 1


def test_latent_scatter_places_each_code():
    Z, y = torch.randn(30, 3), torch.arange(30) % 10
    fig = plot.latent_scatter(Z, y, classes=[f"c{i}" for i in range(10)])
    assert len(fig.axes) == 2  # the scatter and its colour bar
    points = fig.axes[0].collections[0]
    np.testing.assert_allclose(points.get_offsets(), Z[:, :2].numpy())
    np.testing.assert_array_equal(points.get_array(), y.numpy())
    with pytest.raises(ValueError, match="codes of shape"):
        plot.latent_scatter(torch.randn(30, 1), y)


def test_latent_scatter_labels_fewer_than_ten_classes():
    Z, y = torch.randn(12, 2), torch.arange(12) % 4  # e.g. the four sine-wave frequencies
    fig = plot.latent_scatter(Z, y, classes=["1 cycle", "2 cycles", "3 cycles", "4 cycles"])
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert labels == ["1 cycle", "2 cycles", "3 cycles", "4 cycles"]
    # the colour bar has one colour per class, not ten
    points = fig.axes[0].collections[0]
    assert points.get_cmap().N == 4
    assert points.norm.vmin == -0.5 and points.norm.vmax == 3.5
    assert fig.axes[0].collections[0].get_cmap().colors == list(plot.CLASS_COLOURS.colors[:4])


def test_error_curve_one_line_per_method():
    dims = [1, 2, 4, 8]
    errors = {"autoencoder": [9.0, 6.0, 3.0, 2.0], "PCA": [10.0, 8.0, 5.0, 3.0]}
    fig = plot.error_curve(dims, errors, highlight=4)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 3  # two methods and the highlight
    np.testing.assert_allclose(lines[1].get_ydata(), errors["PCA"])
    assert list(lines[2].get_xdata()) == [4, 4]
    # drawn into an axes of someone else's figure
    outer = Figure()
    ax = outer.subplots()
    assert plot.error_curve(dims, {"AE": [3.0, 2.0]}, ax=ax) is outer
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2]  # a shorter list uses the first sizes


def test_to_png_renders_the_figure():
    a = plot.to_png(plot.image_grid(torch.zeros(2, 64)))
    b = plot.to_png(plot.image_grid(torch.ones(2, 64)))
    assert a[:8] == b"\x89PNG\r\n\x1a\n" and a != b
