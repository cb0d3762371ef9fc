"""The parts of the site build that read and write files: checks on the executed lessons, alt
text, the Jupyter Book configuration, the home page, the bundled MathJax, page sizes."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Sequence

__all__ = ["check_explorers", "describe_figures", "write_book", "lesson_rows", "page_bytes",
           "drop_thebe", "fetch_mathjax", "copy_mathjax"]

EXPLORER_MARK = 'class="aekit-explorer"'
MATHJAX_VERSION = "3.2.2"  # the npm package "mathjax", fetched once with `npm pack`
MATHJAX_ENTRY = "mathjax/tex-chtml.js"
# Only what the pages use: TeX input, CommonHTML output with its fonts, the menu and
# accessibility parts it loads on demand; the other combined bundles are left out.
MATHJAX_PARTS = ("tex-chtml.js", "input", "output", "ui", "a11y", "sre", "adaptors")
# An hourglass: wide input, narrow code, wide output.
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
           '<path d="M1 1h14L9 8l6 7H1l6-7z" fill="#0072B2"/></svg>')


def _outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                yield cell, out


def check_explorers(nb, name: str) -> int:
    """Raise if an explorer could not export; return how many explorers the lesson shows."""
    from aekit.widgets.base import EXPORT_FAILED

    count = 0
    for _, out in _outputs(nb):
        data = out.get("data", {})
        text = data.get("text/plain", "")
        text = "".join(text) if isinstance(text, list) else text
        if text.startswith(EXPORT_FAILED):
            raise RuntimeError(f"{name}: {text}")
        html = data.get("text/html", "")
        count += EXPLORER_MARK in ("".join(html) if isinstance(html, list) else html)
    return count


def _first_line(source: str) -> str:
    lines = [ln.strip() for ln in source.splitlines() if ln.strip() and not ln.startswith("%")]
    return lines[-1] if lines else "code"


def describe_figures(path: Path) -> int:
    """Give every image output of a notebook alt text, as cell metadata MyST-NB reads.

    The text comes from the output's own metadata (set in export mode from the figure's
    titles, see :mod:`aekit.site.figures`); a figure without it is described by the cell's
    last line. Returns the number of images described.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        alts = []
        for out in cell.get("outputs", []):
            if "image/png" in out.get("data", {}) and "text/html" not in out["data"]:
                alt = out.get("metadata", {}).get("image/png", {}).get("alt") or \
                    out.get("metadata", {}).get("alt")
                alts.append(alt or f"Figure drawn by: {_first_line(cell.source)}")
        if alts:
            image = cell.metadata.setdefault("mystnb", {}).setdefault("image", {})
            image.setdefault("alt", " | ".join(dict.fromkeys(alts)))
            count += len(alts)
    nbformat.write(nb, path)
    return count


def lesson_rows(readme: Path, names: Sequence[str]) -> list[str]:
    """The README's lesson table rows for these notebooks, linked to their pages (number,
    lesson, what it teaches, sliders; the run-time column is left out)."""
    rows = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*(\d\d)\s*\|\s*\[([^\]]+)\]\(lessons/([^)]+\.ipynb)\)\s*\|"
                         r"([^|]*)\|([^|]*)\|", line)
        if match and match.group(3) in names:
            number, title, name, teaches, sliders = (g.strip() for g in match.groups())
            rows.append(f"| {number} | [{title}]({name}) | {teaches} | {sliders} |")
    return rows


def _home_page(names: Sequence[str], readme: Path) -> str:
    rows = lesson_rows(readme, names)
    if len(rows) < len(names):  # a lesson the README does not list yet: its file name
        listed = " ".join(rows)
        rows += [f"| {n[:2]} | [{n[3:-6].replace('_', ' ')}]({n}) | | |"
                 for n in names if f"({n})" not in listed]
    return "\n".join([
        "# aekit: autoencoders, end to end", "",
        "A course on autoencoders in fifteen lessons, from the first encoder and decoder to "
        "anomaly detection, compression, generation, translation and molecules. Every slider on "
        "these pages works in the browser as it is: each setting was computed when the site was "
        "built, so nothing needs a kernel, a server or an install.", "",
        "To change the code and run it yourself, use the Binder button (the rocket) or "
        "download the notebook (the arrow) at the top of each lesson.", "",
        "| # | lesson | what it teaches | sliders |", "|---|---|---|---|", *rows, ""])


def fetch_mathjax(work: Path) -> Path:
    """MathJax's ``es5`` folder from the npm package, downloaded once into ``work``."""
    import subprocess
    import tarfile

    es5 = work / f"mathjax-{MATHJAX_VERSION}" / "package" / "es5"
    if (es5 / "tex-chtml.js").is_file():
        return es5
    if shutil.which("npm") is None:
        raise RuntimeError("the site bundles MathJax from npm's `mathjax` package: install "
                           "Node.js and npm (Debian: apt-get install npm) and build again")
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", f"mathjax@{MATHJAX_VERSION}", "--silent",
                    "--pack-destination", str(work)], check=True, stdout=subprocess.DEVNULL)
    with tarfile.open(work / f"mathjax-{MATHJAX_VERSION}.tgz") as tar:
        tar.extractall(es5.parents[1], filter="data")
    return es5


def copy_mathjax(es5: Path, static: Path) -> Path:
    """Copy the parts of MathJax the pages use into ``static/mathjax``."""
    target = static / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5.parent / "LICENSE", target)
    for part in MATHJAX_PARTS:
        if (es5 / part).is_dir():
            shutil.copytree(es5 / part, target / part, dirs_exist_ok=True)
        else:
            shutil.copy2(es5 / part, target)
    return target


def write_book(book: Path, names: Sequence[str], repo_url: str, branch: str,
               readme: Path, mathjax: Path) -> None:
    """``_config.yml``, ``_toc.yml``, the home page, MathJax (from ``mathjax``, an ``es5``
    folder) and the favicon for Jupyter Book."""
    import yaml

    config = {
        "title": "aekit: autoencoders",
        "author": "the aekit authors",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "repository": {"url": repo_url, "path_to_book": "lessons", "branch": branch},
        "launch_buttons": {"binderhub_url": "https://mybinder.org",
                           "notebook_interface": "jupyterlab"},
        "html": {"use_repository_button": False, "home_page_in_navbar": True},
        "parse": {"myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence"]},
        "sphinx": {"config": {
            "html_static_path": ["_mathjax"],  # not "_static": Jupyter Book would load every
            "html_context": {"default_mode": "light"},  # .js file in it on every page
            "html_favicon": "favicon.svg",  # else browsers ask for a missing /favicon.ico
            "mathjax_path": MATHJAX_ENTRY,
            "nb_ipywidgets_js": {},  # no widget JavaScript from a CDN: explorers bring their own
            "html_show_sourcelink": False,
            "suppress_warnings": ["myst.xref_missing", "myst.header"],
        }},
    }
    (book / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    toc = {"format": "jb-book", "root": "index",
           "chapters": [{"file": Path(n).stem} for n in names]}
    (book / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    (book / "index.md").write_text(_home_page(names, readme), encoding="utf-8")
    copy_mathjax(mathjax, book / "_mathjax")
    (book / "favicon.svg").write_text(FAVICON, encoding="utf-8")


_THEBE = re.compile(r'[ \t]*<script>const THEBE_JS_URL = [^\n]*</script>\n'
                    r'|[ \t]*<script async="async" src="_static/sphinx-thebe\.js[^"]*"></script>\n')


def drop_thebe(site: Path) -> int:
    """Remove sphinx-thebe's scripts from every page; return how many were removed.

    Jupyter Book always loads the extension, and under Sphinx 7 it writes its settings twice
    (a ``const`` declared twice is a script error on every page), with the address of Thebe on
    a CDN. The site has no live-code button, so the scripts do nothing else.
    """
    removed = 0
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        cleaned, count = _THEBE.subn("", text)
        if count:
            page.write_text(cleaned, encoding="utf-8")
            removed += count
    return removed


def page_bytes(site: Path, page: Path) -> int:
    """A page's HTML plus the site images it shows (theme files and MathJax are shared by every
    page and counted once, in the site's total)."""
    text = page.read_text(encoding="utf-8", errors="replace")
    images = set(re.findall(r'src="(_images/[^"]+)"', text))
    return page.stat().st_size + sum((site / src).stat().st_size for src in images
                                     if (site / src).is_file())
