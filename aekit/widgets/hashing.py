"""Explorer for lesson 11: how many code bits semantic hashing needs."""
from __future__ import annotations

from typing import Sequence

from matplotlib.figure import Figure

from aekit.data import Dataset
from aekit.hashing import HashingStudy, retrieve
from aekit.widgets.base import Explorer

__all__ = ["render_hashing", "hashing_explorer"]


def render_hashing(study: HashingStudy, bits: int,
                   query_classes: Sequence[int] = (0, 3, 5, 8, 9), n_shown: int = 8) -> Figure:
    """Precision at k per method for ``bits``-bit codes, and what learned codes retrieve.

    Left: precision of learned, PCA and random codes at every length trained so far. Right:
    the first test image of each of ``query_classes`` (first column) and the training images
    nearest to it in Hamming distance; a red frame marks a retrieved image of another class.
    """
    precision = study.precision(bits)  # checks bits, trains on first use
    fig = Figure(figsize=(11, 3.9))
    left, right = fig.subfigures(1, 2, width_ratios=[1, 1.5])
    ax = left.subplots()
    seen = study.bits_tried
    for method, marker in (("learned", "o"), ("PCA", "s"), ("random", "^")):
        ax.plot(seen, [study.precision(b)[method] for b in seen], marker=marker, label=method)
    ax.axvline(bits, color="grey", ls=":", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(study.bits_options), [str(b) for b in study.bits_options])
    ax.set_ylim(0, 1)
    ax.set_xlabel("code bits (sizes tried so far)")
    ax.set_ylabel(f"precision at {study.k}")
    ax.set_title(f"{bits} bits: learned {precision['learned']:.2f}, PCA {precision['PCA']:.2f}, "
                 f"random {precision['random']:.2f}", fontsize=9)
    ax.legend(fontsize=8)
    left.subplots_adjust(left=0.16, bottom=0.15, right=0.95, top=0.88)

    database, query_codes = study.codes(bits, "learned")
    ds = study.dataset
    queries = [int((ds.y_test == c).nonzero()[0]) for c in query_classes]
    found = retrieve(query_codes[queries], database, n_shown, study.seed)  # (queries, n_shown)
    axes = right.subplots(len(queries), n_shown + 1, squeeze=False)
    for r, q in enumerate(queries):
        label = int(ds.y_test[q])
        images = [ds.X_test[q]] + [ds.X_train[i] for i in found[r]]
        classes = [label] + [int(ds.y_train[i]) for i in found[r]]
        for c, (image, cls) in enumerate(zip(images, classes)):
            a = axes[r, c]
            a.imshow(image.numpy().reshape(ds.image_shape), cmap="gray_r", vmin=0, vmax=1)
            a.set_xticks([])
            a.set_yticks([])
            if c == 0:
                a.set_ylabel("query", fontsize=8)
            elif cls != label:
                a.set_title(ds.classes[cls], fontsize=7, color="red", pad=1)
                for spine in a.spines.values():
                    spine.set_edgecolor("red")
                    spine.set_linewidth(2)
    distinct = len({tuple(code.tolist()) for code in database})
    right.suptitle(f"query, then its nearest training images by Hamming distance\n"
                   f"({bits}-bit learned codes, {distinct} distinct codes among "
                   f"{len(database)} images; red = another class)", fontsize=9)
    return fig


def hashing_explorer(dataset: Dataset, bits_options: Sequence[int] = (4, 8, 16, 32),
                     value: int = 16, study: HashingStudy | None = None,
                     **study_options) -> Explorer:
    """A "code bits" slider: retrieval precision of binary codes and example retrievals.

    One :class:`aekit.hashing.BinaryCodeAutoencoder` per code length is trained on first use
    (a few seconds on digits) and cached. Pass ``study`` to reuse a :class:`HashingStudy`.
    """
    import ipywidgets as widgets

    if study is None:
        study = HashingStudy(dataset, bits_options, **study_options)
    if value not in study.bits_options:
        raise ValueError(f"value must be one of {study.bits_options}, got {value!r}")
    slider = widgets.SelectionSlider(
        options=list(study.bits_options), value=value, description="code bits",
        tooltip="bits: the length of each binary code (the code_dim of the hashing autoencoder)",
        continuous_update=False)
    explorer = Explorer(lambda bits: render_hashing(study, bits), {"bits": slider},
                        title="Semantic hashing: search by binary codes")
    explorer.study = study
    return explorer
