# nbgrader's settings for every server on the Kubernetes deployment (hub/k8s/config.yaml
# mounts this file at /etc/aekit/common/nbgrader_config.py): the course and its exchange.
c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "aekit"
c.Exchange.root = "/srv/nbgrader/exchange"
