"""Submissions that try to earn marks without doing the work, for the grading tests.

``checks`` is a small NumPy assignment whose tests use what real tests use: ``np.allclose``,
``math.isclose``, ``abs``, a helper and an expected array from the read-only set-up cell. Each
cheat answers with zeros (which fail every test) and adds one way of fooling the tests.
``KL_CHEATS`` are cheats written into the real ``kl_sparsity`` assignment.
"""
from __future__ import annotations

import nbformat
from grading_support import nbgrader_cell, notebook

# Zeros for the one task, then a trick; each must score 0 and be flagged.
ZEROS = "def midpoints(x):\n    return np.zeros(len(x) - 1)\n"
CHEATS = {
    "shadow_builtins": ZEROS + "abs = lambda x: 0.0\nisinstance = lambda *args: True\n",
    "builtins_module": "import builtins\nbuiltins.abs = lambda x: 0.0\n" + ZEROS,
    "builtins_dict": ZEROS + "__builtins__ = dict(vars(__builtins__), abs=lambda x: 0.0)\n",
    "patch_numpy_math": ZEROS + "import math\nnp.allclose = lambda *a, **k: True\n"
                        "np.isclose = lambda *a, **k: np.True_\nmath.isclose = lambda *a, **k: True\n"
                        "np.testing.assert_allclose = lambda *a, **k: None\n",
    "swap_code": ZEROS + "np.testing.assert_allclose.__code__ = (lambda *a, **k: None).__code__\n",
    "helpers_and_expected": ZEROS + "close = lambda a, b: True\nEXPECTED[:] = 0.0\n",
    "blank_later_cells": ZEROS + "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n",
    "patch_when_called": "import builtins, math\n"
                         "def midpoints(x):\n    np.allclose = lambda *a, **k: True\n"
                         "    math.isclose = lambda *a, **k: True\n    builtins.abs = lambda v: 0.0\n"
                         "    globals()['close'] = lambda a, b: True\n    return np.zeros(len(x) - 1)\n",
    "trick_object": "class Anything(np.ndarray):\n"
                    "    def __array_ufunc__(self, *args, **kwargs):\n        return np.True_\n"
                    "    def __eq__(self, other):\n        return True\n"
                    "    def __float__(self):\n        return 1.0\n"
                    "    def __getitem__(self, i):\n        return self\n"
                    "    def __sub__(self, other):\n        return 0.0\n"
                    "def midpoints(x):\n    return np.zeros(len(x) - 1).view(Anything)\n",
}


def checks_source():
    """The source notebook of ``checks``: a set-up cell, one task, four tests (5 points)."""
    def cell(source, gid, **meta):
        return nbgrader_cell("code", source, gid, **meta)

    return notebook([
        cell("import math\nimport numpy as np\n\nEXPECTED = np.array([0.5, 1.5, 2.5])\n\n\n"
             "def close(a, b):\n    try:\n"
             "        np.testing.assert_allclose(np.asarray(a, dtype=float), b, atol=1e-9)\n"
             "    except AssertionError:\n        return False\n    return True",
             "setup", locked=True),
        cell("def midpoints(x):\n    ### BEGIN SOLUTION\n    x = np.asarray(x, dtype=float)\n"
             "    return (x[1:] + x[:-1]) / 2\n    ### END SOLUTION", "midpoints", solution=True),
        cell("assert np.allclose(np.asarray(midpoints([0, 1, 2, 3]), dtype=float), EXPECTED)",
             "test_allclose", grade=True, locked=True, points=2),
        cell("assert close(midpoints([0, 1, 2, 3]), EXPECTED)", "test_helper", grade=True,
             locked=True, points=1),
        cell("assert math.isclose(float(np.asarray(midpoints([0, 2]), dtype=float)[0]), 1.0)",
             "test_isclose", grade=True, locked=True, points=1),
        cell("assert abs(float(np.asarray(midpoints([1, 3]), dtype=float)[0]) - 2.0) < 1e-9",
             "test_abs", grade=True, locked=True, points=1),
    ])


def checks_submissions(release_nb) -> dict:
    """The reference answer and every cheat, written into the released notebook."""
    def answered(source):
        nb = nbformat.from_dict(release_nb)
        nb = nbformat.reads(nbformat.writes(nb), as_version=4)
        next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "midpoints").source = source
        return nb

    subs = {"honest": answered("def midpoints(x):\n    x = np.asarray(x, dtype=float)\n"
                               "    return (x[1:] + x[:-1]) / 2\n")}
    subs.update({kind: answered(source) for kind, source in CHEATS.items()})
    return subs


# For kl_sparsity: code put before the first answer, and the body of each function (the
# trivial answers' otherwise). The first is the case from the issue: zeros, with abs and four
# library functions rebound; under plain nbgrader it earned 5 of 10 points.
KL_CHEATS = {
    "rebinds_library": ("import math\nabs = lambda x: 0.0\nmath.isclose = lambda *a, **k: True\n"
                        "np.isclose = lambda *a, **k: np.ones(np.shape(a[0]), dtype=bool)\n"
                        "np.allclose = lambda *a, **k: True\ntorch.allclose = lambda *a, **k: True\n",
                        {}),
    "patches_when_called": ("import builtins\n\n\ndef _cheat():\n    builtins.abs = lambda x: 0.0\n"
                            "    torch.allclose = lambda *a, **k: True\n"
                            "    torch.Tensor.__lt__ = lambda self, other: torch.zeros(self.shape, dtype=torch.bool)\n",
                            {"kl_divergence": "_cheat()\nreturn torch.zeros_like(rho_hat)",
                             "mean_activation": "_cheat()\nreturn 0.1"}),
    "trick_objects": ("class Anything(float):\n"
                      "    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = lambda self, other: True\n"
                      "    __sub__ = __rsub__ = lambda self, other: Anything(0.0)\n"
                      "    __abs__ = lambda self: Anything(0.0)\n\n\n"
                      "class Yes(torch.Tensor):\n"
                      "    @classmethod\n"
                      "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
                      "        if func in (torch.allclose, torch.equal):\n            return True\n"
                      "        return super().__torch_function__(func, types, args, kwargs or {})\n",
                      {"kl_divergence": "return torch.zeros_like(rho_hat).as_subclass(Yes)",
                       "mean_activation": "return Anything(0.1)"}),
}


def kl_cheat(kind: str, release_nb, source_nb):
    """The release of kl_sparsity answered with zeros and the cheat ``kind``."""
    import grading_trivial as trivial

    preamble, bodies = KL_CHEATS[kind]
    sources = {trivial._gid(c): c.source for c in source_nb.cells}
    answers = {gid: trivial.answer(sources[gid], bodies.get(gid, zeros["zeros"]))
               for gid, zeros in trivial.TRIVIAL["kl_sparsity"].items()}
    answers["kl_divergence"] = preamble + "\n\n" + answers["kl_divergence"]
    return trivial.with_answers(release_nb, source_nb, answers)
