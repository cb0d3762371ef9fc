"""Trivial answers to every task of the four assignments, and helpers to write them into a notebook.

Each task (an answer cell's function) gets four answers that know nothing of the task: zeros,
a plausible constant, an input handed back unchanged, and random values of the right shape.
A submission of one kind answers every task that way; each of its test cells must fail.
"""
from __future__ import annotations

import copy
import re

KINDS = ("zeros", "constant", "identity", "random")

_RBM_STACK = ("[({f}(a, b), {f}(a), {f}(b)) for a, b in "
              "zip((V.shape[1],) + tuple(sizes[:-1]), tuple(sizes))]")
_FRESH_AE = ('model = Autoencoder(64, 16, hidden_dims=(32,), activation="sigmoid", '
             'code_activation="sigmoid")\n')

TRIVIAL = {
    "kl_sparsity": {
        "kl_divergence": {"zeros": "return torch.zeros_like(rho_hat)",
                          "constant": "return torch.full_like(rho_hat, 0.5)",
                          "identity": "return rho_hat", "random": "return torch.rand_like(rho_hat)"},
        "sparsity_penalty": {"zeros": "return (Z * 0).sum()", "constant": "return (Z * 0).sum() + 1.0",
                             "identity": "return Z", "random": "return torch.rand(())"},
        "mean_activation": {"zeros": "return 0.0", "constant": "return 0.05",
                            "identity": "return float(X.mean())",
                            "random": "return float(torch.rand(()))"},
    },
    "vae_elbo": {
        "reparameterize": {"zeros": "return torch.zeros_like(mu)",
                           "constant": "return torch.full_like(mu, 0.5)",
                           "identity": "return mu", "random": "return torch.rand_like(mu)"},
        "kl_to_standard_normal": {"zeros": "return torch.zeros(mu.shape[0])",
                                  "constant": "return torch.full((mu.shape[0],), 2.0)",
                                  "identity": "return mu", "random": "return torch.rand(mu.shape[0])"},
        "negative_elbo": {
            "zeros": 'z = (X_hat * 0).sum()\nreturn {"loss": z, "reconstruction": z, "kl": z}',
            "constant": 'c = (X_hat * 0).sum() + 20.0\nreturn {"loss": c, "reconstruction": c - 3, "kl": c * 0 + 3}',
            "identity": 'return {"loss": X_hat.mean(), "reconstruction": X_hat.mean(), "kl": X.mean() * 0}',
            "random": 'r = torch.rand(2)\nreturn {"loss": r.sum() + (X_hat * 0).sum(), '
                      '"reconstruction": r[0], "kl": r[1]}'},
    },
    "rbm_cd1": {
        "conditionals": {  # the cell holds two functions: (hidden_probs, visible_probs)
            "zeros": ("return torch.zeros(V.shape[0], W.shape[1])", "return torch.zeros(H.shape[0], W.shape[0])"),
            "constant": ("return torch.full((V.shape[0], W.shape[1]), 0.5)",
                         "return torch.full((H.shape[0], W.shape[0]), 0.5)"),
            "identity": ("return V", "return H"),
            "random": ("return torch.rand(V.shape[0], W.shape[1])", "return torch.rand(H.shape[0], W.shape[0])")},
        "cd1_gradients": {"zeros": "return torch.zeros_like(W), torch.zeros_like(b_v), torch.zeros_like(b_h)",
                          "constant": "return torch.full_like(W, 0.01), torch.full_like(b_v, 0.01), "
                                      "torch.full_like(b_h, 0.01)",
                          "identity": "return W, b_v, b_h",
                          "random": "return torch.randn_like(W), torch.randn_like(b_v), torch.randn_like(b_h)"},
        "greedy_stack": {"zeros": "return " + _RBM_STACK.format(f="torch.zeros"),
                         "constant": "return [(W + 0.5, b_v + 0.5, b_h + 0.5) for W, b_v, b_h in "
                                     + _RBM_STACK.format(f="torch.zeros") + "]",
                         "identity": "return V", "random": "return " + _RBM_STACK.format(f="torch.rand")},
        "unroll": {"zeros": _FRESH_AE + "with torch.no_grad():\n    for p in model.parameters():\n"
                                        "        p.zero_()\nreturn model",
                   "constant": _FRESH_AE + "with torch.no_grad():\n    for p in model.parameters():\n"
                                           "        p.fill_(0.5)\nreturn model",
                   "identity": "return stack", "random": _FRESH_AE + "return model"},
    },
    "anomaly_detection": {
        "anomaly_scores": {"zeros": "return torch.zeros(len(X))", "constant": "return torch.full((len(X),), 5.0)",
                           "identity": "return X", "random": "return torch.rand(len(X))"},
        "auroc": {"zeros": "return 0.0", "constant": "return 0.95", "identity": "return scores",
                  "random": "return float(torch.rand(()))"},
        "pca_scores": {"zeros": "return torch.zeros(len(X_test))",
                       "constant": "return torch.full((len(X_test),), 5.0)",
                       "identity": "return X_test", "random": "return torch.rand(len(X_test))"},
        "one_class_experiment": {"zeros": 'return {"autoencoder": 0.0, "pca": 0.0}',
                                 "constant": 'return {"autoencoder": 0.95, "pca": 0.95}',
                                 "identity": "return normal_class",
                                 "random": 'return {"autoencoder": float(torch.rand(())), '
                                           '"pca": float(torch.rand(()))}'},
    },
}

_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n?", re.M | re.S)


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def answer(source_cell: str, bodies) -> str:
    """The source cell with each solution region replaced by one of ``bodies`` (in order)."""
    bodies = [bodies] if isinstance(bodies, str) else list(bodies)

    def body(match):
        indent = match.group(1)
        return "".join(indent + line + "\n" for line in bodies.pop(0).splitlines())

    return _REGION.sub(body, source_cell)


def with_answers(release_nb, source_nb, answers: dict[str, str]):
    """The release with the named answer cells replaced by ``answers`` (other cells untouched)."""
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        if _gid(cell) in answers:
            cell.source = answers[_gid(cell)]
    return nb


def trivial(name: str, kind: str, release_nb, source_nb):
    """The release of ``name`` with every task answered the trivial way ``kind``."""
    sources = {_gid(c): c.source for c in source_nb.cells}
    return with_answers(release_nb, source_nb, {
        gid: answer(sources[gid], bodies[kind]) for gid, bodies in TRIVIAL[name].items()})
