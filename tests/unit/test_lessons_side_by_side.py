"""Four lesson kernels at once on one machine, as on a shared lab machine or a small hub."""
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from aekit.bench.robustness import Run, run_lesson

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
FOUR = ["03_overcomplete_and_regularisation", "05_denoising_autoencoders",
        "06_contractive_autoencoders", "12_applications_anomaly_detection"]


@pytest.mark.slow
def test_four_lessons_pass_when_their_kernels_share_the_cpu(capsys):
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda name: run_lesson(LESSONS / f"{name}.ipynb", Run(0)), FOUR))
    wall = time.perf_counter() - start
    for name, result in zip(FOUR, results):
        assert result.failure is None, f"{name}: {result.failure}"
        assert result.checks and all(e is None for e in result.checks.values()), (name, result.checks)
    with capsys.disabled():
        print(f"\nfour lessons side by side: {wall:.0f} s wall; each lesson inside that run: "
              + ", ".join(f"{r.seconds:.0f} s" for r in results))
