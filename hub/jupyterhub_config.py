# JupyterHub for the aekit course on one machine. Start it with `make hub` (as root), which
# installs what is missing and runs `python -m hub.admin start`, or by hand:
#     cd $AEKIT_HUB_DIR/state && $AEKIT_HUB_DIR/venv/bin/jupyterhub -f hub/jupyterhub_config.py
#
# - users are the machine's own accounts, logged in with their passwords (PAM); only members
#   of the instructors' and the students' groups may log in (hub.admin add-user makes them);
# - each user gets their own server, started as that user, running the course environment
#   (aekit, JupyterLab, nbgrader) with the lessons copied into their home on the first start;
# - nbgrader: course id "aekit", exchange in $AEKIT_HUB_DIR/exchange, the instructor's course
#   folder ~/aekit; the formgrader exists in instructors' servers only (see hub/etc/).
#
# Settings come from the environment: AEKIT_HUB_DIR (default /srv/aekit-hub), AEKIT_HUB_IP
# (127.0.0.1), AEKIT_HUB_PORT (8000), AEKIT_HUB_INSTRUCTORS and AEKIT_HUB_STUDENTS (the two
# system groups), AEKIT_HUB_VENV and AEKIT_HUB_PROXY (where the environment and the proxy are).
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hub.admin import Hub, _chown_tree  # noqa: E402

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)
hub = Hub.from_env()
ip = os.environ.get("AEKIT_HUB_IP", "127.0.0.1")
port = int(os.environ.get("AEKIT_HUB_PORT", "8000"))

c.JupyterHub.bind_url = f"http://{ip}:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("AEKIT_HUB_INTERNAL_PORT", "8081"))
c.ConfigurableHTTPProxy.command = [str(hub.proxy)]
c.ConfigurableHTTPProxy.api_url = (
    f"http://127.0.0.1:{os.environ.get('AEKIT_HUB_PROXY_API_PORT', '8001')}")
c.JupyterHub.db_url = f"sqlite:///{hub.state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(hub.state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(hub.state / "jupyterhub.pid")

# Log in: the machine's accounts, members of the two course groups only.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {hub.instructors, hub.students}
c.PAMAuthenticator.open_sessions = False  # no login session per server (none in containers)
# The instructor is not a hub admin: admins may open any user's server, and the instructor's
# server lets same-origin pages frame it (for the formgrader, see hub/etc/instructor).

# Each user's server: the course environment, started as that user in their home.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(hub.venv / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {
    "PATH": f"{hub.venv / 'bin'}:{hub.root / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90


def prepare_server(spawner):
    """Choose the user's configuration by group, and give them the lessons on the first start."""
    name = spawner.user.name
    role = hub.role_of(name)  # PermissionError: not a member of the course
    spawner.environment["JUPYTER_CONFIG_PATH"] = hub.config_path(role)
    home = Path(os.path.expanduser(f"~{name}"))
    lessons = home / "lessons"
    if hub.lessons.is_dir() and not lessons.exists():
        shutil.copytree(hub.lessons, lessons)
        _chown_tree(lessons, name)


c.Spawner.pre_spawn_hook = prepare_server

# Stop servers nobody has used for an hour: JupyterHub's idle culler, as a hub service.
c.JupyterHub.load_roles = [{"name": "idle-culler", "services": ["idle-culler"],
                            "scopes": ["list:users", "read:users:activity", "read:servers",
                                       "delete:servers"]}]
c.JupyterHub.services = [{"name": "idle-culler", "command": [
    sys.executable, "-m", "jupyterhub_idle_culler",
    f"--timeout={os.environ.get('AEKIT_HUB_IDLE_TIMEOUT', '3600')}"]}]
