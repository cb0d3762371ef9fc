"""Print the Binder launch link (and badge) of this clone, formed from its git remote.

``python tools/binder_link.py [--remote NAME] [--ref REF]`` (``make binder-link`` runs it).

Binder builds a public GitHub repository by name, so the link depends on where the course is
hosted: a fork at ``github.com/you/aekit`` has its own link. This reads the remote's URL
(``origin`` by default) and prints the link that opens the lessons in JupyterLab.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys

BINDER = "https://mybinder.org/v2/gh/{owner}/{repo}/{ref}?urlpath=lab/tree/lessons"
_GITHUB = re.compile(
    r"^(?:https?://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?$")


def binder_url(remote_url: str, ref: str = "HEAD") -> str:
    """The Binder link of a GitHub remote URL (https or ssh form).

    >>> binder_url("git@github.com:someone/aekit.git")
    'https://mybinder.org/v2/gh/someone/aekit/HEAD?urlpath=lab/tree/lessons'
    """
    match = _GITHUB.match(remote_url.strip())
    if not match:
        raise ValueError(f"{remote_url!r} is not a GitHub repository URL; Binder's gh/ links "
                         f"need one (push the course to GitHub, or form the link by hand as "
                         f"{BINDER.format(owner='OWNER', repo='REPO', ref='HEAD')})")
    return BINDER.format(owner=match["owner"], repo=match["repo"], ref=ref)


def repository_url(remote_url: str) -> str:
    """The GitHub page of a remote URL (https or ssh form), for the site's repository links.

    >>> repository_url("git@github.com:someone/aekit.git")
    'https://github.com/someone/aekit'
    """
    binder_url(remote_url)  # the same check and error
    match = _GITHUB.match(remote_url.strip())
    return f"https://github.com/{match['owner']}/{match['repo']}"


def badge(url: str) -> str:
    """The Markdown of a Binder badge that opens ``url``."""
    return f"[![Binder](https://mybinder.org/badge_logo.svg)]({url})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--remote", default="origin", help="git remote to read (default origin)")
    parser.add_argument("--ref", default="HEAD", help="branch, tag or commit (default HEAD)")
    parser.add_argument("--repository", action="store_true",
                        help="print the repository's GitHub URL instead (used by make site)")
    args = parser.parse_args(argv)
    found = subprocess.run(["git", "remote", "get-url", args.remote], capture_output=True,
                           text=True)
    if found.returncode != 0:
        print(f"this clone has no git remote {args.remote!r} ({found.stderr.strip()}); push the "
              f"course to GitHub and add it with `git remote add origin URL`", file=sys.stderr)
        return 2
    try:
        url = binder_url(found.stdout, args.ref)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    if args.repository:
        print(repository_url(found.stdout))
        return 0
    print(url)
    print(badge(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
