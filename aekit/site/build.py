"""Build the course website: execute the lessons in export mode, publish them with Jupyter Book.

``python -m aekit.site [--lessons 05 06] [--out site] [--jobs 2]`` (``make site`` runs it).

1. Each lesson runs top to bottom in a fresh kernel with ``AEKIT_EXPORT=1``, so every explorer
   leaves a page fragment with a frame per setting in its output (:mod:`aekit.site.frames`).
   An executed lesson is kept under the work folder with a key made from the lesson and the
   ``aekit`` sources; a later build with the same key reuses it instead of training again.
2. Every figure output gets alt text (:func:`aekit.site.pages.describe_figures`).
3. Jupyter Book (Sphinx with MyST-NB) turns the executed notebooks into pages: contents,
   previous/next links, a Binder button and a download button per page, and a home page with
   the lesson table. MathJax 3 is copied from npm's ``mathjax`` package (``npm pack``, once),
   so no page asks a CDN for anything.
4. The download button gives the lesson as it is in the repository (no outputs), the unused
   live-code scripts are dropped (:func:`aekit.site.pages.drop_thebe`), and the size of the
   site and of its largest page are printed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

from aekit.site import pages

__all__ = ["REPO", "lesson_paths", "execute_lesson", "build_site", "site_report"]

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "lessons"
DEFAULT_REPO_URL = "https://github.com/OWNER/aekit"


def lesson_paths(numbers: Sequence[str] = ()) -> list[Path]:
    """The lessons ``lessons/NN_*.ipynb``, all of them or those whose numbers are given."""
    found = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
    if not numbers:
        return found
    wanted = {f"{int(n):02d}" for n in numbers}
    chosen = [p for p in found if p.name[:2] in wanted]
    missing = wanted - {p.name[:2] for p in chosen}
    if missing:
        raise ValueError(f"no lesson numbered {', '.join(sorted(missing))} in {LESSONS}")
    return chosen


def _source_key(lesson: Path) -> str:
    """Changes whenever the lesson or any part of aekit a lesson runs changes (the build's own
    modules, which only publish, are left out)."""
    digest = hashlib.sha256(lesson.read_bytes())
    publishing = {"build.py", "pages.py", "__main__.py"}
    for path in sorted((REPO / "aekit").rglob("*.py")):
        if path.parent.name == "site" and path.name in publishing:
            continue
        digest.update(path.relative_to(REPO).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def execute_lesson(lesson: Path, work: Path, timeout: int = 600,
                   allow_errors: bool = False) -> tuple[Path, float, bool]:
    """Run one lesson in export mode into ``work/executed``; return (path, seconds, reused).

    A cell that raises stops the build, unless ``allow_errors``: then the page shows the error
    (and the lesson is not kept for reuse)."""
    import nbformat

    from aekit.bench.lessons import run_notebook
    from aekit.notebooks import write_clean

    executed = work / "executed" / lesson.name
    key = _source_key(lesson)
    if executed.is_file():
        nb = nbformat.read(executed, as_version=4)
        if nb.metadata.get("aekit_site", {}).get("key") == key:
            return executed, 0.0, True
    executed.parent.mkdir(parents=True, exist_ok=True)
    scratch = work / "running" / lesson.name
    scratch.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(lesson, scratch)
    seconds, _ = run_notebook(scratch, save=write_clean, timeout=timeout, allow_errors=allow_errors)
    nb = nbformat.read(scratch, as_version=4)
    pages.check_explorers(nb, lesson.name)
    failed = any(out.get("output_type") == "error" for cell in nb.cells
                 for out in cell.get("outputs", []))
    if failed:
        print(f"  {lesson.name}: a cell raised; its error is on the page", flush=True)
    nb.metadata["aekit_site"] = {"key": "" if failed else key}
    nbformat.write(nb, executed)
    scratch.unlink()
    return executed, seconds, False


def _run_all(lessons: Sequence[Path], work: Path, jobs: int,
             allow_errors: bool = False) -> list[Path]:
    os.environ["AEKIT_EXPORT"] = "1"  # the kernels inherit it

    def one(lesson: Path) -> Path:
        path, seconds, reused = execute_lesson(lesson, work, allow_errors=allow_errors)
        print(f"  {lesson.name}: {'reused' if reused else f'executed in {seconds:.0f} s'}",
              flush=True)
        return path

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, lessons))


def build_site(numbers: Sequence[str] = (), out: Path = REPO / "site",
               work: Path = REPO / "build" / "site", jobs: int = 2,
               repo_url: str = DEFAULT_REPO_URL, branch: str = "main",
               allow_errors: bool = False) -> dict:
    """Build the site into ``out``; return :func:`site_report`'s figures plus the seconds."""
    start = time.perf_counter()
    lessons = lesson_paths(numbers)
    print(f"executing {len(lessons)} lessons in export mode ({jobs} at a time)", flush=True)
    executed = _run_all(lessons, work, jobs, allow_errors)
    book = work / "book"
    if book.exists():
        shutil.rmtree(book)
    book.mkdir(parents=True)
    for path in executed:
        shutil.copyfile(path, book / path.name)
        pages.describe_figures(book / path.name)
    pages.write_book(book, [p.name for p in lessons], repo_url=repo_url, branch=branch,
                     readme=REPO / "README.md", mathjax=pages.fetch_mathjax(work))
    print("publishing with Jupyter Book", flush=True)
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]
    result = subprocess.run([*command, "build", str(book), "--builder", "html", "--keep-going"],
                            capture_output=True, text=True)
    html = book / "_build" / "html"
    if result.returncode != 0 or not (html / "index.html").is_file():
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise RuntimeError("Jupyter Book did not build the site; its output is above")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(html, out)
    for lesson in lessons:  # "download" gives the lesson as a student opens it
        shutil.copyfile(lesson, out / "_sources" / lesson.name)
    pages.drop_thebe(out)
    (out / ".nojekyll").touch()  # GitHub Pages: serve _static and _sources as they are
    report = site_report(out)
    report["seconds"] = time.perf_counter() - start
    return report


def site_report(site: Path) -> dict:
    """Total size, page count, and the largest page with what it loads from the site."""
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    sizes = {p.relative_to(site).as_posix(): pages.page_bytes(site, p)
             for p in site.glob("*.html") if p.name not in ("genindex.html", "search.html")}
    largest = max(sizes, key=sizes.get) if sizes else ""
    return {"total_bytes": total, "pages": len(sizes), "largest_page": largest,
            "largest_page_bytes": sizes.get(largest, 0), "page_bytes": sizes}


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m aekit.site", description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", nargs="*", default=[], metavar="NN",
                        help="lesson numbers to build (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "site", help="where the site goes")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "site",
                        help="work folder (executed lessons are kept here and reused)")
    parser.add_argument("--jobs", type=int, default=2, help="lessons executed at a time")
    parser.add_argument("--repo-url", default=os.environ.get("SITE_REPO") or DEFAULT_REPO_URL,
                        help="the GitHub repository the Binder button opens")
    parser.add_argument("--branch", default=os.environ.get("SITE_BRANCH", "main"))
    parser.add_argument("--allow-errors", action="store_true",
                        help="publish a lesson whose cell raises, with the error on its page")
    args = parser.parse_args(argv)
    if args.repo_url == DEFAULT_REPO_URL:
        print(f"note: this clone has no GitHub remote, so the pages' Binder buttons open "
              f"{DEFAULT_REPO_URL}; set SITE_REPO=https://github.com/you/aekit", file=sys.stderr)
    report = build_site(args.lessons, args.out, args.work, args.jobs, args.repo_url, args.branch,
                        args.allow_errors)
    print(json.dumps({k: v for k, v in report.items() if k != "page_bytes"}, indent=1))
    print(f"site: {report['total_bytes'] / 2**20:.1f} MB in {report['pages']} pages; largest "
          f"{report['largest_page']} {report['largest_page_bytes'] / 2**20:.2f} MB; "
          f"built in {report['seconds']:.0f} s")
    return 0
