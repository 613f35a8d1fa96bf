"""docker-compose.yml, the Dockerfile and environment.yml agree with the kit, without Docker.

Every image is pinned, every published port binds 127.0.0.1, every mounted folder exists or is
written by a command the file and the README document, the lab service runs a real `jslab`
command, every nats service's arguments and every server configuration (in the repository and
generated) pass `nats-server -t` with the bundled binary, and environment.yml lists the
dependencies pyproject.toml lists.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from jslab.cli import _parser, cmd_lab
from jslab.server import find_nats_server
from jslab.shared import RESETTABLE_PREFIX
from jslab.workshop import check_config, create_workshop

yaml = pytest.importorskip("yaml")  # PyYAML comes with JupyterLab (jupyter-events)

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
README = (REPO / "README.md").read_text()
_DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")


def resolved(text: str) -> str:
    """``${VAR:-default}`` -> ``default``: what compose uses when the variable is not set."""
    assert "$" not in _DEFAULT.sub("", text), f"a variable without a default: {text}"
    return _DEFAULT.sub(lambda m: m.group(2), text)


def nats_services() -> dict[str, dict]:
    return {name: s for name, s in SERVICES.items()
            if str(s.get("image", "")).startswith("nats:")}


def test_the_services_and_profiles_are_there():
    assert {"nats", "lab"} <= set(SERVICES)
    assert not SERVICES["nats"].get("profiles") and not SERVICES["lab"].get("profiles")
    cluster = [n for n, s in SERVICES.items() if "cluster" in s.get("profiles", [])]
    workshop = [n for n, s in SERVICES.items() if "workshop" in s.get("profiles", [])]
    assert len(cluster) == 3 and workshop == ["workshop"]


def test_every_image_is_pinned_and_nats_is_2_12_or_newer():
    for name, service in SERVICES.items():
        image = service.get("image")
        if image is None:
            assert "build" in service, f"{name} has neither image nor build"
            continue
        repo, _, tag = str(image).rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: {image} is not pinned"
    assert nats_services().keys() == {"nats", "nats-1", "nats-2", "nats-3", "workshop"}
    for name, service in nats_services().items():
        m = re.fullmatch(r"nats:(\d+)\.(\d+)\.(\d+)-alpine", service["image"])
        assert m, f"{name}: {service['image']} is not an exact nats release, alpine"
        assert (int(m.group(1)), int(m.group(2))) >= (2, 12)
    froms = re.findall(r"^FROM\s+(\S+)", (REPO / "Dockerfile").read_text(), re.M)
    assert froms
    for image in froms:
        tag = image.rpartition(":")[2]
        assert ":" in image and tag != "latest" and re.search(r"\d+\.\d+", tag), image


def test_every_published_port_binds_loopback():
    published = 0
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            port = resolved(str(port))
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
            published += 1
    assert published >= 8


def test_every_mounted_folder_exists_or_is_written_by_a_documented_command(tmp_path):
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source, _, target = resolved(str(volume)).partition(":")
            if not source.startswith((".", "/")):
                assert source in COMPOSE["volumes"], f"{name}: undeclared volume {source}"
                continue
            if (REPO / source).exists():
                continue
            # not in the repository: the generated workshop folder, and only that one
            assert name == "workshop" and source == "./workshop", f"{name} mounts {source}"
            command = "jslab workshop init --participants 30 --out workshop"
            for doc in ((REPO / "docker-compose.yml").read_text(), README):
                assert "jslab workshop init" in doc and "--out workshop" in doc
            out = tmp_path / "workshop"
            argv = [*shlex.split(command)[1:-1], str(out), "--port", "4222"]
            done = subprocess.run([sys.executable, "-m", "jslab", *argv], capture_output=True,
                                  text=True, timeout=60, check=False)
            assert done.returncode == 0, done.stderr
            mount = target.split(":")[0]
            config = service["command"][service["command"].index("-c") + 1]
            assert config.startswith(mount + "/")
            assert (out / config.removeprefix(mount + "/")).is_file()


def test_the_lab_service_runs_a_jslab_command_and_uses_the_nats_service():
    lab = SERVICES["lab"]
    command = lab["command"]
    assert command[0] == "jslab"
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["jslab"] == "jslab.cli:main"
    args = _parser().parse_args(command[1:])
    assert args.func is cmd_lab and args.ip == "0.0.0.0" and args.no_browser
    cmd = re.search(r"^CMD\s+(\[.*\])", (REPO / "Dockerfile").read_text(), re.M).group(1)
    assert yaml.safe_load(cmd) == command, "the image's CMD and the service's command differ"
    assert lab["build"]["context"] == "." and (REPO / lab["build"]["dockerfile"]).is_file()
    assert lab["environment"]["NATS_URL"] == "nats://nats:4222"
    assert "nats" in lab["depends_on"]


def _flags(command: list[str]) -> tuple[str | None, list[str]]:
    """(the -c file, the other arguments) of a nats service's command."""
    if "-c" in command:
        i = command.index("-c")
        return command[i + 1], command[:i] + command[i + 2:]
    return None, list(command)


def test_every_nats_service_passes_the_bundled_binary(tmp_path):
    binary = find_nats_server()
    generated = create_workshop(tmp_path / "workshop", 30, host="127.0.0.1")
    empty = tmp_path / "empty.conf"
    # the service's settings are all on its command line; -t needs a file with one value
    empty.write_text('ping_interval: "2m"\n')
    names = set()
    for name, service in nats_services().items():
        config, flags = _flags(service["command"])
        path = generated.config_path if config == "/etc/nats/workshop.conf" else empty
        assert config in (None, "/etc/nats/workshop.conf"), f"{name}: unknown config {config}"
        done = subprocess.run([binary, "-t", "-c", str(path), *flags], capture_output=True,
                              text=True, timeout=30, check=False)
        assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"
        assert "is valid" in done.stdout + done.stderr
        if config is None:
            server_name = flags[flags.index("--server_name") + 1]
            assert server_name.startswith(RESETTABLE_PREFIX), name
            names.add(server_name)
    assert len(names) == 4, "every server needs a name of its own"


def test_the_cluster_nodes_route_to_each_other():
    nodes = {n: s for n, s in SERVICES.items() if "cluster" in s.get("profiles", [])}
    for name, service in nodes.items():
        command = service["command"]
        routes = command[command.index("--routes") + 1].split(",")
        assert sorted(routes) == sorted(f"nats://{n}:6222" for n in nodes), name
        assert command[command.index("--cluster_name") + 1] == "jslab"
        assert "-js" in command and service["volumes"][0].startswith(f"cluster-{name[-1]}:")


def test_every_server_configuration_in_the_repository_passes(tmp_path):
    tracked = subprocess.run(["git", "ls-files", "*.conf"], cwd=REPO, capture_output=True,
                             text=True, timeout=30, check=False).stdout.split()
    for path in tracked:
        assert "is valid" in check_config(REPO / path)
    for n, extra in ((1, {}), (120, {"port": 4333, "monitor_port": 8333})):
        ws = create_workshop(tmp_path / f"w{n}", n, host="10.0.0.5", **extra)
        assert "is valid" in check_config(ws.config_path)


def _requirement(text: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*([<>=!~].*)?", text)
    assert m, text
    return m.group(1).lower().replace("_", "-"), (m.group(2) or "").replace(" ", "")


def test_environment_yml_lists_the_dependencies_of_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = dict(_requirement(d.split(";")[0].split("#")[0]) for d in project["dependencies"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    listed: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for item in dep["pip"]:
                if item.strip() != "-e .":
                    listed.update([_requirement(item)])
        else:
            listed.update([_requirement(dep)])
    python = listed.pop("python")
    assert python == project["requires-python"]
    assert listed.pop("pip") == ""
    assert listed == wanted


def test_docker_builds_leave_secrets_and_environments_out():
    ignored = (REPO / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "workshop", "**/participants.csv", "**/workshop.conf"):
        assert entry in ignored
