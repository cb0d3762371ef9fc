"""aekit.plot's colours stay apart for readers with a colour-vision deficiency.

The check simulates protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes
2009, severity 1, applied in linear RGB) and asks every pair of the palette's colours to stay at least ``MIN_DELTA_E`` apart in CIELAB. matplotlib's default ``tab10``
fails the same check within its first five colours (green and red), so the test can tell the two apart.
"""
from __future__ import annotations

import itertools

import matplotlib
import matplotlib.style
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from aekit import plot
from aekit.train import History

MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
MIN_DELTA_E = 10.0


def _linear(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb):
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear_rgb
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colours, deficiency: str) -> float:
    seen = [_lab(np.clip(np.array(MACHADO[deficiency]) @ _linear(to_rgb(c)), 0, 1)) for c in colours]
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(seen, 2))


@pytest.mark.parametrize("deficiency", sorted(MACHADO))
def test_the_line_colours_stay_apart(deficiency):
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert cycle[:len(plot.OKABE_ITO)] == plot.OKABE_ITO
    assert closest_pair(plot.OKABE_ITO, deficiency) >= MIN_DELTA_E


def test_the_check_rejects_matplotlibs_default_colours():
    tab10 = matplotlib.colormaps["tab10"].colors
    assert min(closest_pair(tab10[:5], d) for d in MACHADO) < MIN_DELTA_E


def _closest_pair_seen_normally(colours) -> float:
    seen = [_lab(_linear(to_rgb(c))) for c in colours]
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(seen, 2))


def test_the_class_colours_stay_apart():
    # ten classes on one scatter need ten hues: apart for normal vision by more than twice the
    # line palette's margin, and by the margin under every simulated deficiency
    assert _closest_pair_seen_normally(plot.CLASS_COLOURS.colors) >= 2 * MIN_DELTA_E
    assert min(closest_pair(plot.CLASS_COLOURS.colors, d) for d in MACHADO) >= MIN_DELTA_E
    # the check rejects tableau-colorblind10, whose four greys small dots do not keep apart
    greys = matplotlib.style.library["tableau-colorblind10"]["axes.prop_cycle"].by_key()["color"]
    assert _closest_pair_seen_normally(greys) < 2 * MIN_DELTA_E


def test_figures_use_the_palette():
    history = History()
    history.train_loss, history.val_loss = [3.0, 2.0, 1.0], [3.5, 2.5, 1.5]
    lines = plot.loss_curves(history).axes[0].get_lines()
    assert [matplotlib.colors.to_hex(line.get_color()).upper() for line in lines] == \
        plot.OKABE_ITO[:2]
    scatter = plot.latent_scatter(np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 10)
    # one colour per class present, taken in order from the course's class colours
    used = scatter.axes[0].collections[0].get_cmap()
    assert list(used.colors) == list(plot.CLASS_COLOURS.colors[:10])
    assert matplotlib.colormaps["aekit_classes"].colors == plot.CLASS_COLOURS.colors
