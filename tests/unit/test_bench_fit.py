"""The training-speed benchmark compares like with like, and its parts run."""
import pytest
import torch

from aekit.bench import fit as bench
from aekit.models import Autoencoder


@pytest.mark.parametrize("sizes", [((100, 50, 25), 3, "sigmoid"), ((32,), 8, "relu")])
def test_baselines_train_the_same_network_as_fit(sizes):
    hidden, code, activation = sizes
    work = bench.Workload("w", torch.rand(4, 64), code, hidden, activation, epochs=1)
    model = Autoencoder(work.X.shape[1], code, hidden_dims=hidden, activation=activation)
    plain = bench._sequential(work)
    count = sum(p.numel() for p in model.parameters())
    assert count == sum(p.numel() for p in plain.parameters()) == work.parameters()
    # same computation: copy the weights across and compare the outputs
    linears = [m for m in plain if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for mine, theirs in zip([*model.encoder, *model.decoder], linears):
            theirs.weight.copy_(mine.weight)
            theirs.bias.copy_(mine.bias)
        torch.testing.assert_close(plain(work.X), model.eval()(work.X))


def test_every_way_runs_and_is_timed(capsys):
    work = bench.Workload("tiny", torch.rand(300, 64), 4, (16,), "relu", epochs=1)
    times = bench.run_workload(work, repeats=2)
    assert set(times) == {"fit", "tutorial", "ceiling"}
    assert all(len(runs) == 2 and all(0 < t < 60 for t in runs) for runs in times.values())
    assert capsys.readouterr().err == ""  # fit's progress bar is kept out of the report
    with pytest.raises(ValueError, match="unknown ways"):
        bench.run_workload(work, ways=["fastest"])


def test_matmul_peak_is_a_rate():
    assert 0.1 < bench.matmul_gflops(n=128, repeats=3) < 1e6
