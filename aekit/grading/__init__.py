"""Instructor commands for the graded assignments (nbgrader), robust to broken submissions.

``structure`` holds pure checks of notebooks (no nbgrader needed), ``plugins`` nbgrader's
configuration and preprocessors, ``autograde`` the grading itself, ``commands`` release,
validate, collect and feedback, and ``__main__`` the command line (``python -m aekit.grading``).
"""
