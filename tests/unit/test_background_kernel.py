"""The background worker in a real IPython kernel: it exists there (and not in a plain
interpreter), it pauses while a cell runs, it prepares an explorer's nearby settings between
cells, and the student's own random numbers are the same as with the background turned off."""
import json
import os
import time

import pytest

jupyter_client = pytest.importorskip("jupyter_client")

pytestmark = pytest.mark.slow

SETUP = """
import time, torch
from aekit import background, data, seed_everything
from aekit.widgets import denoising_explorer
seed_everything(0)
digits = data.load("digits")
explorer = denoising_explorer(digits, seed=3, epochs=4, noise_levels=(0.1, 0.2, 0.3, 0.4),
                              noise_level=0.2)
worker = background.worker()
print(worker is not None, "preparing" in explorer.status.value)
"""

# (a cell runs: the worker must be paused, i.e. busy, for as long as it runs)
DURING = "print(worker is not None and worker._busy > 0)"

MOVE = """
misses = explorer.pngs.misses
explorer.controls['noise_level'].value = 0.3
print(explorer.status.value.count('ready') == 1 or 'preparing' in explorer.status.value,
      explorer.pngs.misses == misses, explorer.last_error)
print(json.dumps(torch.randn(4).tolist()))
"""


def _run(client, code: str, timeout: float = 120) -> str:
    msg_id = client.execute(code)
    out = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream":
            out.append(msg["content"]["text"])
        elif kind == "error":
            raise AssertionError("\n".join(msg["content"]["traceback"]))
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(out)


def _session(background_on: bool) -> list[str]:
    env = {**os.environ, "AEKIT_BACKGROUND": "1" if background_on else "0", "MPLBACKEND": "Agg"}
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3", env=env)
    try:
        outputs = [_run(client, "import json\n" + SETUP)]
        time.sleep(0.5)  # the worker is training a nearby setting now
        start = time.perf_counter()
        outputs.append(_run(client, DURING))
        during_s = time.perf_counter() - start
        # between cells the kernel is idle and the worker prepares; a short cell now and then
        # (each one pauses it) asks whether the nearby settings are ready
        status = ""
        for _ in range(60 if background_on else 2):
            time.sleep(1)
            status = _run(client, "print(explorer.status.value)")
            if "ready" in status:
                break
        outputs.append(status)
        outputs.append(_run(client, MOVE))
        start = time.perf_counter()
        _run(client, "pass")
        idle_s = time.perf_counter() - start
        print(f"[background {'on' if background_on else 'off'}] a one-line cell answered in "
              f"{1000 * during_s:.0f} ms half a second after the explorer appeared "
              f"({'the worker training a nearby setting' if background_on else 'no worker'}), "
              f"{1000 * idle_s:.0f} ms at the end")
        return outputs
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_the_kernel_worker_prepares_between_cells_and_pauses_during_them(capsys) -> None:
    with capsys.disabled():
        setup, during, status, move = _session(True)
    assert setup.split() == ["True", "True"], setup
    assert during.strip() == "True", "the worker must count a running cell as busy"
    assert "ready" in status and "preparing" not in status, status
    moved, cached, error = move.splitlines()[0].split(" ", 2)
    assert cached == "True", "the next setting should have been ready (drawn in the background)"
    assert error == "None"
    # negative control: with the background off, nothing is prepared and the step draws anew
    with capsys.disabled():
        setup_off, _, status_off, move_off = _session(False)
    assert setup_off.split() == ["False", "False"], setup_off
    assert "ready" not in status_off
    assert move_off.splitlines()[0].split(" ", 2)[1] == "False"
    # the student's own random numbers are the same with and without the background
    assert json.loads(move.splitlines()[1]) == json.loads(move_off.splitlines()[1])
