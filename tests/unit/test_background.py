"""Background preparation of nearby settings (aekit.background): the same models as without
it, models built in the main thread, work that pauses while the foreground is busy and stops
when cancelled, and a setting computed once whichever thread asks first."""
import threading
import time

import pytest
import torch

from aekit import background, data
from aekit.background import Cancelled, Worker, checkpoint, in_main_thread
from aekit.widgets import denoising_explorer


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.fixture
def worker():
    new = Worker()
    old = background.install(new)
    yield new
    new.close()
    background.install(old)


def _weights(model):
    return [p.detach().clone() for p in model.parameters()]


def _explore(digits):
    return denoising_explorer(digits, seed=3, epochs=4, noise_levels=(0.1, 0.2, 0.3, 0.4),
                              noise_level=0.2)


def test_the_background_trains_the_same_models_as_the_foreground(digits, worker) -> None:
    background.install(None)
    plain = _explore(digits)
    alone = {key: _weights(model) for key, model in plain.study.models.store.items()}
    background.install(worker)
    torch.manual_seed(11)
    before = torch.randn(3)
    torch.manual_seed(11)
    helped = _explore(digits)
    assert worker.idle(120), "the background did not finish its plan"
    # the session's generator is untouched by the models built meanwhile
    assert torch.equal(torch.randn(3), before)
    prepared = [dict(key) for key in helped.study.models.store]
    assert len(prepared) > len(alone), "the background prepared no nearby setting"
    for setting in prepared:  # every model the background trained, against the foreground's
        assert torch.equal(torch.cat([w.flatten() for w in _weights(helped.study.model(**setting))]),
                           torch.cat([w.flatten() for w in _weights(plain.study.model(**setting))]))
    for key, weights in alone.items():
        assert all(torch.equal(a, b) for a, b in zip(weights, _weights(helped.study.models.store[key])))


def test_nearby_settings_are_ready_after_reading(digits, worker) -> None:
    explorer = _explore(digits)
    assert "preparing" in explorer.status.value
    assert worker.idle(120)
    explorer._refresh_status()
    assert "ready" in explorer.status.value and "preparing" not in explorer.status.value
    misses = explorer.pngs.misses
    control = explorer.controls["noise_level"]
    control.value = 0.3  # one step: its picture was drawn in the background
    assert explorer.pngs.misses == misses and explorer.last_error is None
    # negative control: without a background, the same step draws (and trains) in the foreground
    background.install(None)
    alone = _explore(digits)
    misses = alone.pngs.misses
    alone.controls["noise_level"].value = 0.3
    assert alone.pngs.misses == misses + 1


def test_nearby_is_one_step_each_way_first(digits) -> None:
    background.install(None)
    explorer = _explore(digits)
    near = explorer.nearby()
    kinds = list(explorer.study.options["noise_kind"])
    at = kinds.index(explorer.setting["noise_kind"])
    one_step = [{**explorer.setting, "noise_kind": kinds[i]} for i in (at - 1, at + 1)
                if 0 <= i < len(kinds)]
    one_step += [{**explorer.setting, "noise_level": v} for v in (0.1, 0.3)]
    first = near[:len(one_step)]
    assert sorted(map(str, first)) == sorted(map(str, one_step))
    assert {s["noise_level"] for s in near} >= {0.1, 0.3, 0.4}
    assert all(sum(s[k] != explorer.setting[k] for k in s) == 1 for s in near)
    assert explorer.setting not in near and len(near) == len({tuple(sorted(s.items())) for s in near})


def test_models_are_built_in_the_main_thread(worker) -> None:
    seen = []
    worker.plan([("where", lambda: seen.append(in_main_thread(threading.current_thread)))])
    assert worker.idle(10)
    assert seen == [threading.main_thread()]
    assert worker.done == ["where"]


def _counting(counter, steps=10_000):
    def run():
        for _ in range(steps):
            checkpoint()
            counter.append(1)
            time.sleep(0.002)
    return run


def test_work_pauses_while_the_foreground_is_busy_and_resumes(worker) -> None:
    counter = []
    with worker.busy():
        worker.plan([("count", _counting(counter, 50))])
        time.sleep(0.3)
        assert len(counter) == 0, "background work ran while the foreground was busy"
    assert worker.idle(10)
    assert len(counter) == 50


def test_a_moved_control_cancels_the_old_plan(worker) -> None:
    counter = []
    worker.plan([("old", _counting(counter)), ("old too", _counting(counter))], group="e")
    time.sleep(0.1)
    worker.plan([("new", lambda: None)], group="e")
    assert worker.idle(10)
    assert "old" in worker.cancelled and "old" not in worker.done and "old too" not in worker.done
    assert worker.done == ["new"]
    assert len(counter) < 10_000


def test_another_explorer_does_not_cancel_this_one(worker) -> None:
    ran = []
    with worker.busy():
        worker.plan([("a", lambda: ran.append("a"))], group="first")
        worker.plan([("b", lambda: ran.append("b"))], group="second")
    assert worker.idle(10)
    assert ran == ["b", "a"]  # the newest plan first, the other one still done


def test_the_running_job_goes_on_when_the_new_plan_keeps_it(worker) -> None:
    counter = []
    worker.plan([("keep", _counting(counter, 100))], group="e")
    time.sleep(0.05)
    worker.plan([("keep", _counting(counter, 100)), ("then", lambda: None)], group="e")
    assert worker.idle(10)
    assert worker.done == ["keep", "then"] and len(counter) == 100


def test_checkpoint_outside_background_work_does_nothing() -> None:
    checkpoint()  # no job: returns
    assert not background.in_background()


def test_a_setting_being_prepared_is_waited_for_not_trained_twice(digits, worker) -> None:
    from aekit.widgets import SettingCache

    calls = []
    started = threading.Event()

    def slow(size):
        calls.append(threading.current_thread().name)
        started.set()
        for _ in range(20):
            checkpoint()
            time.sleep(0.01)
        return size * 2

    cache = SettingCache(slow)
    worker.plan([("s", lambda: cache.get(size=3))])
    assert started.wait(5)
    assert cache.get(size=3) == 6  # in the main thread: waits for the background's result
    assert calls == ["aekit-background"]


def test_background_work_gives_way_to_a_setting_the_foreground_computes(worker) -> None:
    from aekit.widgets import SettingCache

    release = threading.Event()
    calls = []

    def compute(size):
        calls.append(threading.current_thread().name)
        release.wait(5)
        return size

    cache = SettingCache(compute)
    result = []
    foreground = threading.Thread(target=lambda: result.append(cache.get(size=1)))
    foreground.start()
    time.sleep(0.05)
    worker.plan([("s", lambda: cache.get(size=1))])
    time.sleep(0.1)
    release.set()
    foreground.join(5)
    assert worker.idle(5)
    assert result == [1] and len(calls) == 1 and "s" not in worker.done


def test_cancelled_is_not_an_ordinary_exception() -> None:
    assert not issubclass(Cancelled, Exception)


def test_no_worker_outside_a_kernel(monkeypatch) -> None:
    old = background.install(None)
    try:
        assert background.worker() is None
        monkeypatch.setenv(background.ENV_VARIABLE, "0")
        background.install(Worker())
        assert background.worker() is None, "AEKIT_BACKGROUND=0 turns the worker off"
    finally:
        background._WORKER.close()
        background.install(old)


def test_a_job_that_fails_is_said_in_the_status_line(digits, worker) -> None:
    explorer = _explore(digits)
    assert worker.idle(120)
    worker.plan([(("result", id(explorer), "bad"), lambda: 1 / 0)], group=id(explorer))
    explorer._ahead.append(("result", id(explorer), "bad"))
    assert worker.idle(10)
    explorer._refresh_status()
    assert "could not be prepared" in explorer.status.value
    assert "ZeroDivisionError" in explorer.status.value


def test_the_vae_explorer_prepares_its_nearby_settings(worker) -> None:
    from aekit.widgets import vae_explorer

    explorer = vae_explorer(data.load("digits"), epochs=2, betas=(0.5, 1.0, 2.0))
    assert worker.idle(120)
    explorer._refresh_status()
    assert "all" in explorer.status.value and "could not" not in explorer.status.value, \
        explorer.status.value
    misses = explorer.pngs.misses
    explorer.controls["beta"].value = 2.0
    assert explorer.pngs.misses == misses
    assert worker.idle(120)  # the student reads; the settings next to beta = 2 get ready
    misses = explorer.pngs.misses  # (the background's own drawings count as misses too)
    explorer.controls["z1"].value = 0.25
    assert explorer.pngs.misses == misses and explorer.last_error is None
