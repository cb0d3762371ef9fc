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


def test_cpu_times_come_with_the_wall_times_of_the_same_runs():
    work = bench.Workload("tiny", torch.rand(200, 16), 2, (8,), "relu", epochs=1, batch_size=50)
    cpu = {}
    wall = bench.run_workload(work, repeats=2, ways=["ceiling", "fit"], threads=1, cpu_times=cpu)
    assert set(cpu) == set(wall) == {"ceiling", "fit"}
    assert all(len(cpu[w]) == 2 and all(t >= 0 for t in cpu[w]) for w in cpu)


def test_runs_are_interleaved_and_rotated(monkeypatch):
    calls = []
    for way in bench.WAYS:
        monkeypatch.setitem(bench._RUNNERS, way,
                            lambda work, threads, way=way: calls.append(way) or (1.0, 1.0))
    work = bench.Workload("tiny", torch.rand(8, 4), 2, (), "relu", epochs=1)
    bench.run_workload(work, repeats=3, warm_up=True)
    warm, timed = calls[:3], calls[3:]
    assert warm == ["fit", "tutorial", "ceiling"]
    assert timed == ["fit", "tutorial", "ceiling", "tutorial", "ceiling", "fit",
                     "ceiling", "fit", "tutorial"]


def test_summaries_and_paired_ratios():
    st = bench.summarise([5.0, 1.0, 3.0, 2.0, 4.0])
    assert st == {"median": 3.0, "min": 1.0, "max": 5.0, "q1": 2.0, "q3": 4.0}
    assert bench.summarise([2.0])["q1"] == 2.0
    with pytest.raises(ValueError):
        bench.summarise([])
    times = {"fit": [2.0, 4.0], "ceiling": [1.0, 4.0]}
    assert bench.paired_ratios(times, "fit", "ceiling") == [2.0, 1.0]


def test_the_report_judges_fit_against_the_ceilings_spread(capsys):
    work = bench.Workload("tiny", torch.rand(8, 4), 2, (), "relu", epochs=1)
    close = {"fit": [1.02, 1.0, 1.05, 1.01, 1.03], "tutorial": [1.5] * 5,
             "ceiling": [1.0, 0.95, 1.04, 1.0, 1.01]}
    assert bench.report(work, 1e9, 10.0, "wall", close)
    far = dict(close, fit=[1.5, 1.52, 1.49, 1.5, 1.51])
    assert not bench.report(work, 1e9, 10.0, "CPU", far)
    out = capsys.readouterr().out
    assert "min-max" in out and "IQR" in out and "paired by round" in out
    assert "ABOVE the ceiling" in out
