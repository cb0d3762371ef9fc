"""Instructor commands for the graded assignments (nbgrader), robust to broken submissions.

``structure`` and ``integrity`` are pure checks of notebooks (no nbgrader needed); ``plugins``
holds nbgrader's configuration and preprocessors, ``guard`` the checks that run inside the
grading kernel, ``autograde`` the grading itself, ``commands`` release, validate, collect and
feedback, and ``__main__`` the command line (``python -m aekit.grading --help``).
"""
