"""The 2006 benchmark's protocols, timing, curves and figure, on tiny inputs (no timings are
asserted: those belong in the benchmark's printout)."""
import json
import math

import pytest
import torch

from aekit.bench import _hinton_plans as plans
from aekit.bench import _hinton_runs as runs
from aekit.bench import hinton2006 as bench
from aekit.models import deep_autoencoder
from aekit.pretraining import pretrain_stack


def test_plans_parse_and_print_back():
    plan = plans.parse_plan("rbm=4+34, autoencoders=2+4,random=0+5")
    assert plan == {"rbm": (4, 34), "autoencoders": (2, 4), "random": (0, 5)}
    assert plans.parse_plan(plans.format_plan(plan)) == plan
    for bad in ("dbn=1+2", "rbm=1", "rbm=a+2", ""):
        with pytest.raises(ValueError):
            plans.parse_plan(bad)


def test_the_budget_plan_puts_most_epochs_on_the_headline_scheme():
    for plan in plans.BUDGET_PLANS.values():
        assert plan["random"][0] == 0
        assert plan["rbm"][0] >= plan["autoencoders"][0]
        assert plan["rbm"][1] > max(plan["autoencoders"][1], plan["random"][1])
    assert plans.PAPER_PLAN == {"rbm": (50, 200), "autoencoders": (50, 200), "random": (0, 200)}


def test_estimate_adds_up_the_epochs():
    costs = {"rbm": 10.0, "autoencoders": 20.0, "fine_tune": 3.0, "evaluate": 0.5}
    est = plans.estimate_seconds({"rbm": (2, 4), "random": (0, 1)}, costs)
    assert est == {"rbm": 2 * 10 + 4 * 3 + 5 * 0.5, "random": 3 + 2 * 0.5}


def test_cosine_schedule_falls_from_lr_to_one_percent():
    rates = [plans.cosine_lr(1e-3, e, 10) for e in range(10)]
    assert rates[0] == pytest.approx(1e-3) and rates[-1] == pytest.approx(1e-5)
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert plans.cosine_lr(1e-3, 0, 1) == 1e-3


def test_error_at_reads_a_curve_by_epoch_and_by_cpu_time():
    curve = [{"epoch": 0, "cpu_minutes": 1.0, "test_error": 10.0},
             {"epoch": 1, "cpu_minutes": 2.0, "test_error": 6.0},
             {"epoch": 2, "cpu_minutes": 3.0, "test_error": 5.0}]
    assert runs.error_at(curve, epoch=1) == 6.0
    assert runs.error_at(curve, epoch=7) is None
    assert runs.error_at(curve, cpu_minutes=1.5) == pytest.approx(8.0)
    assert runs.error_at(curve, cpu_minutes=3.0) == 5.0
    assert runs.error_at(curve, cpu_minutes=0.5) is None   # still pretraining
    assert runs.error_at(curve, cpu_minutes=9.0) is None   # past the end


def test_phases_accumulate_wall_and_cpu_seconds():
    phases = plans.Phases()
    for _ in range(2):
        with phases.time("a") as timer:
            sum(range(1000))
        assert timer.wall_s >= 0 and timer.cpu_s >= 0
    with phases.time("b"):
        pass
    assert list(phases.seconds) == ["a", "b"]
    table = phases.table()
    assert table[0].split()[:3] == ["phase", "wall", "s"] and table[-1].startswith("total")


def test_timed_rbm_pretraining_is_pretrain_stack(digits):
    X = digits.X_train[:120]
    phases = plans.Phases()
    ours = runs.pretrain_rbms(X, (16, 4), epochs=2, batch_size=20, momentum_switch=1, seed=3,
                               progress=False, device="cpu", phases=phases)
    theirs = pretrain_stack(X, (16, 4), epochs=2, batch_size=20, momentum_switch=1, seed=3,
                            progress=False, device="cpu")
    for a, b in zip(ours, theirs):
        assert a.hidden == b.hidden
        torch.testing.assert_close(a.W, b.W)
        torch.testing.assert_close(a.hidden_bias, b.hidden_bias)
    assert list(phases.seconds) == ["rbm 64-16", "rbm 16-4"]


def test_fine_tuning_records_a_point_per_epoch(digits):
    X, X_test = digits.X_train[:200], digits.X_test[:50]
    model = deep_autoencoder(64, (16, 4), seed=0)
    phases = plans.Phases()
    curve = runs.fine_tune(model, X, X_test, 3, lr=1e-3, batch_size=32, seed=0, device="cpu",
                            phases=phases, name="random", cpu0=60.0, wall0=120.0)
    assert [p["epoch"] for p in curve] == [0, 1, 2, 3]
    assert curve[0]["cpu_minutes"] == 1.0 and curve[0]["wall_minutes"] == 2.0
    assert all(a["cpu_minutes"] <= b["cpu_minutes"] for a, b in zip(curve, curve[1:]))
    assert [p["lr"] for p in curve[1:]] == pytest.approx([plans.cosine_lr(1e-3, e, 3)
                                                          for e in range(3)])
    assert all(math.isfinite(p["test_error"]) for p in curve)
    assert set(phases.seconds) == {"random evaluation", "random fine-tuning"}


def test_a_tiny_run_saves_its_table_phases_and_curves(tmp_path, capsys):
    out = tmp_path / "tiny.txt"
    code = bench.main(["--dataset", "digits", "--n-train", "150", "--plan",
                       "rbm=1+2,random=0+1", "--no-logistic-pca", "--quiet", "--save", str(out)])
    assert code == 0
    text = out.read_text()
    assert "where the time went:" in text and "rbm 64-128" in text
    assert "--plan rbm=1+2,random=0+1" in text
    assert "at equal cost: deep AE (random)" in text
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["plan"] == {"rbm": {"pretrain_epochs": 1, "fine_tune_epochs": 2},
                              "random": {"pretrain_epochs": 0, "fine_tune_epochs": 1}}
    assert [len(c) for c in record["curves"].values()] == [3, 2]
    assert record["curves"]["rbm"][0]["cpu_minutes"] > 0     # pretraining counted in
    assert record["curves"]["random"][0]["cpu_minutes"] == 0
    assert record["results"]["rbm"] == record["curves"]["rbm"][-1]["test_error"]
    assert set(record["paper_protocol_cpu_seconds"]) == {"rbm", "random"}
    assert record["command"].endswith("--plan rbm=1+2,random=0+1 --n-train 150 --no-logistic-pca")

    fig = runs.time_curves_figure(out.with_suffix(".json"))
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # two schemes and PCA
    assert ax.get_xlabel().startswith("CPU-minutes")


def test_estimate_prints_the_plan_and_trains_nothing(tmp_path, capsys):
    out = tmp_path / "nothing.txt"
    assert bench.main(["--dataset", "digits", "--n-train", "64", "--protocol", "paper",
                       "--estimate", "--save", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "rbm=50+200,autoencoders=50+200,random=0+200" in printed and "CPU-hours" in printed
    assert not out.exists()


def test_per_epoch_figures_count_only_the_rbm_layers_for_the_rbm_stack():
    phases = {"rbm 64-16": {"cpu_s": 3.0, "wall_s": 3.0}, "rbm 16-4": {"cpu_s": 1.0, "wall_s": 1.0},
              "rbm evaluation": {"cpu_s": 0.5, "wall_s": 0.5},
              "rbm fine-tuning": {"cpu_s": 20.0, "wall_s": 20.0},
              "random evaluation": {"cpu_s": 0.3, "wall_s": 0.3},
              "random fine-tuning": {"cpu_s": 10.0, "wall_s": 10.0}}
    plan = {"rbm": (2, 4), "random": (0, 1)}
    per = plans.cpu_seconds_per_epoch(phases, plan)
    assert per == pytest.approx({"rbm": 2.0, "fine_tune": 6.0, "evaluate": 0.8 / 7})
    est = plans.paper_protocol_estimate(per, plan)
    assert est["rbm"] == pytest.approx(50 * 2.0 + 200 * 6.0 + 201 * 0.8 / 7)
    assert plans.paper_protocol_estimate({"rbm": 1.0}, plan) == {}


def test_the_stored_budget_run_is_complete_and_consistent():
    record = runs.load_result()
    text = (plans.RESULTS / "hinton2006_fashion-mnist_budget.txt").read_text()
    assert record["command"] in text and "--protocol budget" in record["command"]
    plan = {s: (v["pretrain_epochs"], v["fine_tune_epochs"]) for s, v in record["plan"].items()}
    assert plan == plans.BUDGET_PLANS["fashion-mnist"]
    row = next(line for line in text.splitlines() if line.startswith("fashion-mnist (this run)"))
    rbm, stack, random, logistic, pca = (float(v) for v in row.split()[-5:])
    res = record["results"]
    assert [rbm, stack, random, logistic, pca] == [round(res[k], 2) for k in
                                                   ("rbm", "autoencoders", "random", "logistic_pca", "pca")]
    for scheme, curve in record["curves"].items():
        assert len(curve) == plan[scheme][1] + 1
        assert curve[-1]["test_error"] == res[scheme]
        assert all(a["cpu_minutes"] < b["cpu_minutes"] for a, b in zip(curve, curve[1:]))
    assert record["curves"]["rbm"][0]["cpu_minutes"] > 0  # pretraining counted in
    # the claims the run is stored for: at most half of PCA, far below the random start
    assert record["ratio_to_pca"] == pytest.approx(res["rbm"] / res["pca"]) and res["rbm"] <= 0.5 * res["pca"]
    assert res["rbm"] < res["random"] / 2
    assert record["cpu_seconds"] <= 16 * 60  # the plan is 15 CPU-minutes of one thread
    assert runs.time_curves_figure().axes[0].get_yscale() == "log"
