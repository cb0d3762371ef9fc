"""Explorer for lesson 11: how many code bits semantic hashing needs."""
from __future__ import annotations

from typing import Sequence

import torch
from matplotlib.figure import Figure

from aekit.applications.hashing import (binary_codes, itq_fit, pca_codes, precision_at_k,
                                        random_codes, retrieve)
from aekit.checks import positive_ints
from aekit.data import Dataset
from aekit.models import BinaryCodeAutoencoder
from aekit.widgets.base import Explorer
from aekit.widgets.study import Control, Study, make_explorer

__all__ = ["HashingStudy", "hashing_explorer"]

METHODS = ("learned", "PCA", "ITQ", "random")


class HashingStudy(Study):
    """Binary codes of several lengths on a data set: training set = database, test set =
    queries. One :class:`aekit.models.BinaryCodeAutoencoder` per code length, trained on
    first use.

    ``result(bits)`` is the precision at ``k`` of learned codes, median-split PCA codes, ITQ
    codes (PCA rotated for the least quantisation loss, the standard linear hash) and random
    codes of the same length: ``{"learned": ..., "PCA": ..., "ITQ": ..., "random": ...}``.
    """

    controls = {"bits": Control(
        "code bits", "bits: the length of each binary code (the code_dim of the hashing "
        "autoencoder)")}
    title = "Semantic hashing: search by binary codes"

    def __init__(self, dataset: Dataset, bits_options: Sequence[int] = (4, 8, 16, 32),
                 hidden_dims: Sequence[int] = (64,), noise: float = 4.0, epochs: int = 60,
                 lr: float = 3e-3, k: int = 10, **budget) -> None:
        super().__init__(dataset, {"bits": sorted(positive_ints(bits_options, "bits_options"))},
                         epochs=epochs, lr=lr, **budget)
        self.bits_options = self.options["bits"]
        self.hidden_dims, self.noise, self.k = tuple(hidden_dims), noise, k
        self._codes: dict[tuple[str, int], tuple[torch.Tensor, torch.Tensor]] = {}

    def _train(self, bits: int) -> BinaryCodeAutoencoder:
        return self.train(self.build(BinaryCodeAutoencoder, self.dataset.input_dim, bits,
                                     self.hidden_dims, noise=self.noise))

    def codes(self, bits: int, method: str = "learned") -> tuple[torch.Tensor, torch.Tensor]:
        """(database codes, query codes) of one method: "learned", "PCA", "ITQ" or "random"."""
        bits = self.setting(bits)["bits"]
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
        key = (method, bits)
        if key not in self._codes:
            X_db, X_q = self.X_train, self.dataset.X_test
            if method == "learned":
                model = self.model(bits)
                pair = binary_codes(model, X_db), binary_codes(model, X_q)
            elif method == "random":
                pair = (random_codes(len(X_db), bits, self.seed),
                        random_codes(len(X_q), bits, self.seed + 1))
            elif method == "ITQ":
                encode = itq_fit(X_db, bits, seed=self.seed)  # one fit for both sets
                pair = encode(X_db), encode(X_q)
            else:
                pair = pca_codes(X_db, X_db, bits), pca_codes(X_db, X_q, bits)
            self._codes[key] = pair
        return self._codes[key]

    def _result(self, bits: int) -> dict[str, float]:
        y_db, y_q = self.dataset.y_train[:len(self.X_train)], self.dataset.y_test
        return {method: precision_at_k(self.codes(bits, method)[1], y_q,
                                       self.codes(bits, method)[0], y_db, self.k, self.seed)
                for method in METHODS}

    def render(self, bits: int, query_classes: Sequence[int] = (0, 3, 5, 8, 9),
               n_shown: int = 8) -> Figure:
        """Precision at k per method for ``bits``-bit codes, and what learned codes retrieve.

        Left: precision of learned, PCA, ITQ and random codes at every length tried so far. Right:
        the first test image of each of ``query_classes`` (first column) and the training
        images nearest to it in Hamming distance; a red frame marks another class.
        """
        return _render(self, bits, query_classes, n_shown)


def _render(study: HashingStudy, bits: int, query_classes: Sequence[int], n_shown: int) -> Figure:
    precision = study.result(bits)  # checks bits, trains on first use
    fig = Figure(figsize=(11, 3.9))
    left, right = fig.subfigures(1, 2, width_ratios=[1, 1.5])
    ax = left.subplots()
    seen = [s["bits"] for s in study.tried]
    for method, marker in (("learned", "o"), ("PCA", "s"), ("ITQ", "D"), ("random", "^")):
        ax.plot(seen, [study.result(b)[method] for b in seen], marker=marker, label=method)
    ax.axvline(bits, color="grey", ls=":", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(study.bits_options), [str(b) for b in study.bits_options])
    ax.set_ylim(0, 1)
    ax.set_xlabel("code bits (sizes tried so far)")
    ax.set_ylabel(f"precision at {study.k}")
    ax.set_title(f"{bits} bits: learned {precision['learned']:.2f}, PCA {precision['PCA']:.2f}, "
                 f"ITQ {precision['ITQ']:.2f}, random {precision['random']:.2f}", fontsize=9)
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
                a.set_title(ds.classes[cls], fontsize=9, color="red", pad=1)
                for spine in a.spines.values():
                    spine.set_edgecolor("red")
                    spine.set_linewidth(2)
    distinct = len({tuple(code.tolist()) for code in database})
    right.suptitle(f"query, then its nearest training images by Hamming distance\n"
                   f"({bits}-bit learned codes, {distinct} distinct codes among "
                   f"{len(database)} images; red = another class)", fontsize=9)
    return fig


def hashing_explorer(dataset: Dataset, *, study: HashingStudy | None = None,
                     **settings_and_options) -> Explorer:
    """A "code bits" slider (``bits``): retrieval precision of binary codes and example
    retrievals.

    One :class:`aekit.models.BinaryCodeAutoencoder` per code length is trained on first use
    (a few seconds on digits) and cached. Other keywords build the :class:`HashingStudy`;
    ``study=`` reuses one.
    """
    return make_explorer(HashingStudy, dataset, study, settings_and_options)
