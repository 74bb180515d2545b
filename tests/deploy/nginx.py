"""The gateway's nginx configuration as each deployment renders it (deploy/nginx/render: envsubst over
deploy/nginx/duban.conf.template, as the official nginx image does at start), and `nginx -t` on a rendering.

`nginx -t` resolves each upstream's host: compose's and Kubernetes' service names are made to resolve to 127.0.0.1
in a mount namespace of the check's own (unshare, with a hosts file of its own bound over /etc/hosts)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from services.common.settings import REPO_ROOT

TEMPLATE = REPO_ROOT / "deploy" / "nginx" / "duban.conf.template"
RENDER = REPO_ROOT / "deploy" / "nginx" / "render"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
VARIABLES = frozenset(re.findall(r"\$\{(DUBAN_GATEWAY_\w+)\}", TEMPLATE.read_text()))
UPSTREAMS = {"duban_tasks": "tasks_api", "duban_reporting": "reporting_api", "duban_notify": "notify_api"}


def rendered(variables: Mapping[str, str] | None = None) -> str:
    """The template rendered with `variables` (each one left out takes render's default for a Debian host)."""
    environment = {"PATH": "/usr/bin:/bin", **(variables or {})}
    result = subprocess.run([RENDER], env=environment, capture_output=True, text=True)
    assert result.returncode == 0, f"deploy/nginx/render (needs envsubst, Debian's gettext-base): {result.stderr}"
    return result.stdout


def upstream_servers(site: str) -> dict[str, str]:
    """Each upstream's name and the host:port of its one server."""
    return dict(re.findall(r"upstream (\w+) \{\s*server ([^;\s]+);", site))


def listen(site: str) -> str:
    found = re.findall(r"^\s*listen ([^;]+);", site, flags=re.MULTILINE)
    assert len(found) == 1, found
    return str(found[0])


def main_config(directory: Path, site: Path) -> Path:
    """A main nginx.conf around the site file, everything nginx writes kept in `directory`."""
    temp = " ".join(
        f"{kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # the workers read the temp files this test's root owns
    main = directory / "nginx.conf"
    main.write_text(
        f"{user}daemon off;\npid {directory / 'nginx.pid'};\nerror_log {directory / 'error.log'};\nevents {{}}\n"
        f"http {{\n access_log off;\n {temp}\n include {site};\n}}\n"
    )
    return main


def nginx_test(directory: Path, site: str) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on `site`, every upstream host that is a name resolving to 127.0.0.1."""
    assert NGINX is not None
    (directory / "duban.conf").write_text(site)
    command = [NGINX, "-t", "-p", str(directory), "-c", str(main_config(directory, directory / "duban.conf"))]
    names = sorted({server.rsplit(":", 1)[0] for server in upstream_servers(site).values()} - {"127.0.0.1"})
    if names:
        hosts = directory / "hosts"
        hosts.write_text("".join(f"127.0.0.1 {name}\n" for name in names))
        # Bound over /etc/hosts for this one command only: the machine's file is not touched.
        command = ["unshare", "--mount", "sh", "-c", f'mount --bind {hosts} /etc/hosts && exec "$@"', "sh", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def can_fake_hosts() -> bool:
    """Whether this machine lets a process bind its own /etc/hosts (unshare needs root or user namespaces)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", "mount --bind /etc/hosts /etc/hosts"], capture_output=True, timeout=30
    )
    return probe.returncode == 0
