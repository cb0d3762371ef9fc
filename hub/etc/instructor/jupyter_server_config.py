# The instructor's server on the course hub: nbgrader's formgrader works on ~/aekit.
#
# JupyterHub 4.1 and newer send "Content-Security-Policy: frame-ancestors 'none'" from every
# single-user server, so no page may show it in a frame. JupyterLab shows the formgrader in
# a frame (Nbgrader > Formgrader), which then stays blank (nbgrader issues #1870, #1910,
# #1919). Here, and only for the instructor's server, pages of the hub's own origin may
# frame it again. Students' servers keep JupyterHub's 'none'.
#
# The price: a page served under the same origin (a student's server, say) could frame the
# instructor's server if the instructor opened that page. The instructor is not a hub admin,
# so the hub does not let them open students' servers. Where a wildcard DNS name and
# certificate are at hand, JupyterHub.enable_subdomains = True gives every server its own
# origin and removes that risk (nbgrader's documentation, "Formgrader with jupyterhub>=4.1").
c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)

c.ServerApp.tornado_settings = {
    "headers": {"Content-Security-Policy": "frame-ancestors 'self'"},
}
