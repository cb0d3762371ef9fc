# nbgrader configuration of the aekit course. nbgrader reads it from the folder you run it in
# (this one); `python -m aekit.grading` reads it from here too. The folders below this one
# follow nbgrader's layout: source/ (with solutions), release/ (what students get),
# submitted/, autograded/ and feedback/ (the last three are not committed).
c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "aekit"

# What students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Seconds one cell may run when grading or validating. Each solution runs in well under a
# minute; `python -m aekit.grading autograde` also limits the whole notebook (--timeout).
c.Execute.timeout = 180
# nbgrader leaves autograded notebooks read-only (444); aekit writes its grading note into
# them afterwards, which only root could then do. Owner-writable, world-readable:
c.Autograde.permissions = 644

# Fail the cell, not the batch, if a cell prints endlessly.
c.LimitOutput.max_lines = 500
