# A student's server on the course hub: nbgrader's assignment list (fetch, submit, fetch
# feedback) and its validate button, but not the formgrader or the course list. Students
# could re-enable them in ~/.jupyter, which would show them nothing: the course folder and
# its gradebook belong to the instructor (mode 700). This only keeps the menus honest.
c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)

c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
}
