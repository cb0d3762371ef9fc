"""Instructor commands for the nbgrader assignments (``python -m aekit.grading``): pure notebook
checks (``structure``, ``integrity``), nbgrader plug-ins (``plugins``, ``guard``), ``autograde``,
``commands`` (release, validate, collect, feedback) and the command line (``__main__``)."""
