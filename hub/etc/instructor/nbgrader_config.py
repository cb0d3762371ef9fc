# The instructor's course folder, read by the formgrader and by nbgrader's commands.
import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.root = os.path.expanduser("~/aekit")
