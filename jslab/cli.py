"""The ``jslab`` command: open the lab, run a server, check the installation, run a workshop.

    $ jslab lab                 # JupyterLab on the notebook series
    $ jslab server --cluster 3  # three nats-server nodes in the foreground
    $ jslab doctor              # what is installed, and does a round trip work?
    $ jslab workshop init --participants 30 --out workshop --host 192.168.1.20
    $ jslab notebooks ~/jslab-workshop --exercises
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import NoReturn

from . import __version__

__all__ = ["main"]


def _notebook_dir() -> Path:
    """The series shipped beside the package (a source checkout), else the current dir."""
    here = Path(__file__).resolve().parent.parent / "notebooks"
    return here if here.is_dir() else Path.cwd()


def cmd_lab(args: argparse.Namespace) -> int:
    root = Path(args.dir) if args.dir else _notebook_dir()
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
           f"--ServerApp.ip={args.ip}"]
    if args.no_browser or os.environ.get("JSLAB_NO_BROWSER"):
        cmd.append("--no-browser")
    if args.port:
        cmd.append(f"--port={args.port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Containers and CI often run as root; JupyterLab refuses that unless told.
        cmd.append("--allow-root")
    print(f"Opening JupyterLab on {root} (the URL with its token is printed below).", flush=True)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0


_GENERATED_USER = "jslab"


def _with_userinfo(url: str, user: str, secret: str) -> str:
    """``nats://host:port`` -> ``nats://user:secret@host:port`` (each of a comma list)."""
    quote = urllib.parse.quote
    return ",".join(u.replace("://", f"://{quote(user, safe='')}:{secret}@", 1)
                    for u in url.split(","))


def _network_urls(host: str, nodes: list, user: str, password: str, show: bool) -> list[str]:
    """What to print for a server reachable from the network: where, and the URLs to use."""
    ports = [n.port for n in nodes]
    secret = urllib.parse.quote(password, safe="") if show else "***"
    everywhere = host in ("0.0.0.0", "::", "")
    lines = []
    if everywhere:
        lines.append(f"Listening on all interfaces ({host or '0.0.0.0'}), client port"
                     f"{'s' if len(ports) > 1 else ''} {', '.join(map(str, ports))}.")
        local = "[::1]" if host == "::" else "127.0.0.1"
        name = socket.gethostname()
        urls = [(",".join(f"nats://{local}:{p}" for p in ports), "this machine"),
                (",".join(f"nats://{name}:{p}" for p in ports), "other machines, by hostname")]
    else:
        lines.append(f"Listening on {host}, client port{'s' if len(ports) > 1 else ''} "
                     f"{', '.join(map(str, ports))}.")
        urls = [(",".join(n.url for n in nodes), "from any machine that reaches it")]
    lines.append("Connect with:")
    lines += [f"  {_with_userinfo(url, user, secret)}   ({label})" for url, label in urls]
    return lines


def cmd_server(args: argparse.Namespace) -> int:
    if args.config:
        return cmd_server_config(args)
    from .server import LocalCluster, LocalServer, ServerError, is_loopback

    user, password = args.user, args.password
    generated = False
    if user is not None or password is not None or not is_loopback(args.host):
        # Reachable from the network (or asked for): never without credentials.
        user = user or _GENERATED_USER
        if password is None:
            password, generated = secrets.token_urlsafe(24), True
    auth = {"user": user, "password": password} if user is not None else {}
    try:
        if args.cluster:
            srv = LocalCluster(args.cluster, args.store, host=args.host, port=args.port,
                               progress=lambda s: print(s, flush=True), **auth)
        else:
            srv = LocalServer(args.store, port=args.port, host=args.host, **auth)
    except ServerError as e:
        print(f"jslab server: error: {e}", file=sys.stderr)
        return 2
    stop = _stop_on_sigterm()
    try:
        try:
            srv.start()
        except ServerError as e:
            print(f"jslab server: error: {e}", file=sys.stderr, flush=True)
            return 1
        nodes = srv.servers if args.cluster else [srv]
        print(f"nats-server {'.'.join(map(str, nodes[0].version))} running "
              f"({len(nodes)} node{'s' if len(nodes) > 1 else ''}); store: {srv.store_dir}")
        for node in nodes:
            print(f"  {node.name}: {node.url}   monitoring {node.monitor_url}")
        network = not is_loopback(args.host)
        if network:
            for line in _network_urls(args.host, nodes, user, password, args.url_with_password):
                print(line)
        if user is not None:
            print(f"user: {user}")
            print(f"password: {password}" if generated else "password: the one you gave")
            print(f"{'In Python' if network else 'Connect with'}:  lab = jslab.connect("
                  f"{srv.url!r}, user={user!r}, password=<the password>)")
        else:
            print(f"Connect with:  lab = jslab.connect({srv.url!r})")
        sys.stdout.flush()
        _serve_until_stopped(stop, network and (
            f"JetStream is now reachable from the network on {args.host}: whoever has the "
            "password can read, change and delete every stream. Use --host 127.0.0.1 to keep "
            "it on this machine."))
    finally:
        print("\nstopping…", flush=True)
        srv.close()
    print("stopped.")
    return 0


def _serve_until_stopped(stop: dict[str, bool], warning: str | bool) -> None:
    """Print the warning (if any), then wait for Ctrl-C or SIGTERM.

    The prompt is printed inside the ``try``: a Ctrl-C right after it still stops cleanly.
    """
    try:
        if warning:
            print(f"WARNING: {warning}", file=sys.stderr, flush=True)
        print("Ctrl-C stops the server.", flush=True)
        while not stop["now"]:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass


def _stop_on_sigterm() -> dict[str, bool]:
    """A flag that SIGTERM sets (Ctrl-C raises KeyboardInterrupt as usual)."""
    stop = {"now": False}

    def on_term(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_term)
    return stop


def cmd_server_config(args: argparse.Namespace) -> int:
    from .server import ServerError, _hostport, is_loopback
    from .workshop import ConfiguredServer, load_workshop

    given = [flag for flag, value in (("--cluster", args.cluster), ("--user", args.user),
                                      ("--password", args.password),
                                      ("--url-with-password", args.url_with_password)) if value]
    if given:
        print(f"jslab server: error: {', '.join(given)} cannot be combined with --config: users, "
              "passwords and clusters are set in the configuration file itself.",
              file=sys.stderr)
        return 2
    try:
        srv = ConfiguredServer(args.config, host=args.host, port=args.port, store_dir=args.store)
    except ServerError as e:
        print(f"jslab server: error: {e}", file=sys.stderr)
        return 2
    stop = _stop_on_sigterm()
    workshop = None
    if (srv.config.parent / "workshop.json").is_file():
        try:
            workshop = load_workshop(srv.config)
        except ServerError:
            workshop = None
    try:
        try:
            srv.start()
        except ServerError as e:
            print(f"jslab server: error: {e}", file=sys.stderr, flush=True)
            return 1
        network = not is_loopback(args.host)
        store = "named in the file" if srv.own_store_dir else str(srv.store_dir)
        print(f"nats-server {'.'.join(map(str, srv.version or ()))} running {srv.config}; "
              f"store: {store}")
        print(f"  listening on {args.host} port {srv.port}; monitoring "
              f"{srv.monitor_url or 'off'}{' (this machine only)' if srv.monitor_url else ''}")
        print("  authorization: " + ("required (an anonymous client was refused)"
                                     if srv.auth_required else "none: anyone who reaches the "
                                     "port can use it"))
        if workshop is not None:
            n = len(workshop.participants)
            url = f"nats://{_hostport(workshop.host, srv.port)}"
            print(f"  workshop: {n} participants connect to {url} (their sheet: "
                  f"{workshop.sheet_md})")
            if srv.port != workshop.port:
                print(f"  NOTE: the sheet says port {workshop.port}; tell participants to use "
                      f"{srv.port}, or run without --port")
            if not network:
                print("  only this machine can connect: give --host 0.0.0.0 (or this machine's "
                      "address) for participants on other machines")
            print(f"  progress: jslab workshop status --config {args.config}")
        else:
            print(f"Connect with:  lab = jslab.connect({srv.url!r}, user=..., password=...)")
        sys.stdout.flush()
        _serve_until_stopped(stop, network and (
            f"JetStream is now reachable from the network on {args.host}: whoever has a "
            "password from the configuration can use their account."))
    finally:
        print("\nstopping…", flush=True)
        srv.stop()
    print("stopped.")
    return 0


def cmd_workshop_init(args: argparse.Namespace) -> int:
    from .server import ServerError
    from .workshop import Limits, check_config, create_workshop

    try:
        limits = Limits(max_mem=args.max_mem, max_file=args.max_file,
                        max_streams=args.max_streams, max_consumers=args.max_consumers)
        ws = create_workshop(args.out, args.participants, host=args.host, port=args.port,
                             monitor_port=args.monitor_port, limits=limits,
                             overwrite=args.force)
        verdict = check_config(ws.config_path)
    except ServerError as e:
        print(f"jslab workshop init: error: {e}", file=sys.stderr)
        return 2
    n = len(ws.participants)
    first, last = ws.participants[0].name, ws.participants[-1].name
    lim = ws.limits
    print(f"Workshop for {n} participant{'s' if n > 1 else ''} written to {ws.folder}/ "
          "(every file readable by you only):")
    rows = [(ws.config_path, f"nats-server configuration: accounts {first}..{last}, "
                             "the facilitator in SYS"),
            (ws.sheet_md, "the sheet to hand out: URL, user and password of each participant"),
            (ws.sheet_csv, "the same, for a spreadsheet or a mail merge"),
            (ws.spec_path, "what `jslab workshop status` reads")]
    width = max(len(str(path)) for path, _ in rows)
    for path, what in rows:
        print(f"  {str(path).ljust(width)}  {what}")
    print(f"Each account: JetStream max_mem {lim.max_mem}, max_file {lim.max_file}, "
          f"{lim.max_streams} streams, {lim.max_consumers} consumers")
    print(f"  (the server reserves them: {lim.reserved(n)} in all).")
    print(f"Participants connect to {ws.url} (--host changes the address on the sheet).")
    print(f"Checked: {verdict.split(' (sha256', 1)[0].removeprefix('nats-server: ')}.")
    print("Next:")
    print(f"  jslab server --config {ws.config_path} --host 0.0.0.0")
    print(f"  jslab workshop status --config {ws.config_path}")
    return 0


def cmd_workshop_status(args: argparse.Namespace) -> int:
    from .errors import JslabError
    from .workshop import ProgressBoard, load_workshop

    try:
        ws = load_workshop(args.config)
        board = ProgressBoard(ws, url=args.url, checks=not args.no_checks)
    except JslabError as e:
        print(f"jslab workshop status: error: {e}", file=sys.stderr)
        return 1
    try:
        while True:
            try:
                table = board.read()
            except JslabError as e:
                print(f"jslab workshop status: error: {e}", file=sys.stderr, flush=True)
                if not args.watch:
                    return 1
            else:
                print(f"{time.strftime('%H:%M:%S')}  {board.url}")
                print(table, flush=True)
            if not args.watch:
                return 0
            time.sleep(args.watch)
            print()
    except KeyboardInterrupt:
        return 0
    finally:
        board.close()


def cmd_notebooks(args: argparse.Namespace) -> int:
    from .exercises import copy_series

    try:
        written = copy_series(args.dest, exercises=args.exercises, source=args.source,
                              overwrite=args.force)
    except (FileNotFoundError, FileExistsError) as e:
        print(f"jslab notebooks: error: {e}", file=sys.stderr)
        return 1
    kind = "exercise copies (solution cells emptied)" if args.exercises else "notebooks"
    print(f"{len(written)} {kind} and README.md written to {args.dest}")
    print(f"Open them with:  jslab lab --dir {args.dest}")
    return 0


def _bench_url(text: str) -> str:
    from .server import is_loopback

    for one in text.split(","):
        host = urllib.parse.urlsplit(one if "://" in one else f"nats://{one}").hostname
        if not host:
            raise argparse.ArgumentTypeError(f"takes a server URL like nats://127.0.0.1:4222, "
                                             f"not {text!r}")
        if not is_loopback(host):
            raise argparse.ArgumentTypeError(
                f"measures a server on this machine only, and {host} is not loopback "
                "(127.0.0.1, ::1, localhost): over a network it would measure the network")
    return text


def _out_file(suffixes: tuple[str, ...]):
    """An argparse type: a file to write, with one of ``suffixes``, in a folder that exists."""

    def parse(text: str) -> Path:
        path = Path(text).expanduser()
        if path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"takes a file name ending in "
                                             f"{' or '.join(suffixes)}, not {text!r}")
        if not path.parent.is_dir():
            raise argparse.ArgumentTypeError(f"folder {str(path.parent)!r} does not exist")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
        return path

    return parse


def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench
    from .errors import JslabError
    from .lab import Lab
    from .server import LocalCluster, LocalServer, ServerError

    if args.url and args.cluster:
        print("jslab bench: error: --cluster starts bundled nodes, --url measures an existing "
              "server: give one of them", file=sys.stderr)
        return 2
    plan = bench.QUICK if args.quick else bench.FULL
    progress = bench.TextProgress(sys.stderr)
    srv = None
    try:
        if args.url:
            lab = Lab(args.url)
        else:
            srv = LocalCluster(args.cluster) if args.cluster else LocalServer()
            srv.start()
            lab = Lab(srv.url, server=srv)
    except (JslabError, ServerError) as e:
        if srv is not None:
            srv.close()
        print(f"jslab bench: error: {e}", file=sys.stderr)
        return 1
    nodes = f"{args.cluster} bundled nodes" if args.cluster else "a bundled server"
    print(f"jslab bench: nats-server {lab.server_version}, {args.url or nodes}, "
          f"{'quick (~10 s)' if args.quick else 'full (~60 s)'}", flush=True)
    try:
        df = bench.run(lab, args.scenario, plan=plan, progress=progress)
    except JslabError as e:
        print(f"jslab bench: error: {e}", file=sys.stderr)
        return 1
    finally:
        lab.close()
    print(bench.report(df), flush=True)
    if args.csv:
        df.to_csv(args.csv, index=False)
        print(f"results written to {args.csv}")
    if args.plot:
        bench.plot(df).savefig(args.plot, dpi=100)
        print(f"plots written to {args.plot}")
    return 130 if df.attrs.get("interrupted") else 0


def doctor(out=print) -> list[str]:
    """Check the installation; returns the problems found (empty when all is well)."""
    problems: list[str] = []

    def check(label: str, fn) -> object:
        try:
            value = fn()
        except Exception as e:  # every failure becomes a line of the report
            out(f"  ✗ {label}: {e}")
            problems.append(f"{label}: {e}")
            return None
        out(f"  ✓ {label}: {value}")
        return value

    out(f"jslab {__version__}")
    py_ok = sys.version_info >= (3, 10)
    out(f"  {'✓' if py_ok else '✗'} Python: {platform.python_version()} ({sys.executable})")
    if not py_ok:
        problems.append("Python >= 3.10 is required")

    def nats_py() -> str:
        from importlib.metadata import version

        import nats  # noqa: F401  (importable, not only installed)

        return version("nats-py")

    check("nats-py", nats_py)

    from .server import LocalServer, find_nats_server, server_version

    binary = check("nats-server binary", find_nats_server)
    if binary:
        check("nats-server version", lambda: ".".join(map(str, server_version(binary))))

    def kernel() -> str:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().find_kernel_specs()
        if not specs:
            raise RuntimeError("no Jupyter kernel installed: pip install ipykernel")
        return ", ".join(sorted(specs))

    check("Jupyter kernels", kernel)

    def round_trip() -> str:
        from .lab import Lab

        with LocalServer() as srv:
            lab = Lab(srv.url)
            try:
                lab.add_stream("DOCTOR", subjects=["doctor.>"], storage="memory")
                ack = lab.publish("doctor.ping", b"ping")
                lab.add_consumer("DOCTOR", "check")
                got = lab.fetch("DOCTOR", "check", 1, wait=2)
                if len(got) != 1 or got[0].raw != b"ping":
                    raise RuntimeError("published a message but could not fetch it back")
                got[0].ack_sync()
            finally:
                lab.close()
            return (f"started a server in {srv.startup_ms:.0f} ms, stored seq {ack.seq}, "
                    "fetched and acked it")

    check("JetStream round trip", round_trip)
    out("all good." if not problems else f"{len(problems)} problem(s) found.")
    return problems


def cmd_doctor(args: argparse.Namespace) -> int:
    return 1 if doctor() else 0


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (and exit code 2), not the whole usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _cluster_size(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a node count like 3, not {text!r}") from None
    if n == 1:
        raise argparse.ArgumentTypeError("1 node is not a cluster: run 'jslab server' without "
                                         "--cluster, or give 3")
    if n < 1:
        raise argparse.ArgumentTypeError(f"takes a node count of 2 or more (3 is usual), not {n}")
    return n


def _number(kind: type, lo: float, hi: float, words: str):
    """An argparse type: a number of ``kind`` in lo..hi, else one line saying what it takes."""

    def parse(text: str):
        try:
            n = kind(text)
        except ValueError:
            n = None
        if n is None or not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"takes {words}, not {text!r}")
        return n

    return parse


_port = _number(int, 1, 65535, "a port number from 1 to 65535")
_positive = _number(int, 1, 2**63 - 1, "a whole number of 1 or more")
_seconds = _number(float, 0.1, 3600, "seconds from 0.1 to 3600")


def _participants(text: str) -> int:
    from .workshop.accounts import MAX_PARTICIPANTS

    return _number(int, 1, MAX_PARTICIPANTS, f"a number of participants from 1 to "
                                             f"{MAX_PARTICIPANTS}")(text)


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = _Parser(
        prog="jslab", formatter_class=fmt,
        description="Learn and explore NATS JetStream in Jupyter against a real nats-server.",
        epilog="examples:\n  jslab lab\n  jslab server --cluster 3\n  jslab doctor\n"
               "  jslab workshop init --participants 30 --out workshop\n"
               "  jslab notebooks ~/jslab-workshop --exercises",
    )
    p.add_argument("--version", action="version", version=f"jslab {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    lab = sub.add_parser("lab", help="open JupyterLab on the notebook series",
                         formatter_class=fmt,
                         epilog="example:\n  jslab lab --no-browser --port 8888")
    lab.add_argument("--no-browser", action="store_true",
                     help="do not open a browser (headless machines; also JSLAB_NO_BROWSER=1)")
    lab.add_argument("--port", type=int, help="JupyterLab port (default: 8888 or the next free)")
    lab.add_argument("--dir", help="folder to open (default: the notebook series)")
    lab.add_argument("--ip", default="127.0.0.1",
                     help="interface JupyterLab listens on (default 127.0.0.1; 0.0.0.0 inside a "
                          "container, whose port mapping decides who reaches it)")
    lab.set_defaults(func=cmd_lab)

    srv = sub.add_parser(
        "server", help="run a nats-server (or cluster) in the foreground", formatter_class=fmt,
        epilog="examples:\n  jslab server\n  jslab server --port 4222 --store ./data\n"
               "  jslab server --cluster 3\n"
               "  jslab server --host 0.0.0.0 --port 4222   # for a workshop: prints a password\n"
               "  jslab server --config workshop/workshop.conf --host 0.0.0.0",
    )
    srv.add_argument("--cluster", type=_cluster_size, metavar="N",
                     help="run N routed nodes (2 or more, e.g. 3); --port is the first node's")
    srv.add_argument("--store", metavar="DIR", help="JetStream store dir (default: a temp dir)")
    srv.add_argument("--port", type=_port, metavar="P", help="client port (default: a free one)")
    srv.add_argument("--host", default="127.0.0.1",
                     help="interface to bind (default 127.0.0.1). Any other (0.0.0.0, ::, a LAN "
                          "IP) makes JetStream reachable from the network and requires a user "
                          "and password: given, or generated and printed")
    srv.add_argument("--user", help="user clients must log in as (default with a non-loopback "
                                    "--host: jslab)")
    srv.add_argument("--password", help="password for --user (default: a random one, printed "
                                        "once)")
    srv.add_argument("--url-with-password", action="store_true",
                     help="print the connect URLs with the password in them instead of ***")
    srv.add_argument("--config", metavar="FILE",
                     help="run this nats-server configuration (e.g. from 'jslab workshop init') "
                          "with the bundled binary; --host/--port override its address, the "
                          "store goes to store/ beside it. A --host other than loopback is "
                          "refused unless the file makes clients log in")
    srv.set_defaults(func=cmd_server)

    bn = sub.add_parser(
        "bench", help="measure publish, storage, message sizes, fetch batches on this machine",
        formatter_class=fmt,
        epilog="examples:\n  jslab bench --quick\n  jslab bench --plot bench.png --csv bench.csv\n"
               "  jslab bench --cluster 3              # adds R1 vs R3\n"
               "  jslab bench --url nats://127.0.0.1:4222 --scenario 'publish sync'",
    )
    bn.add_argument("--quick", action="store_true",
                    help="a short run (about 10 s) instead of the full one (about 60 s)")
    bn.add_argument("--url", type=_bench_url, metavar="URL",
                    help="an existing server on this machine (loopback only; default: start a "
                         "bundled one)")
    bn.add_argument("--cluster", type=_cluster_size, metavar="N",
                    help="start N bundled nodes (3 adds R1 vs R3); not with --url")
    bn.add_argument("--scenario", action="append", metavar="NAME",
                    choices=["round trip", "publish sync", "publish pipelined", "publish core",
                             "storage", "message size", "fetch batch", "max_ack_pending",
                             "replicas"],
                    help="run only this scenario (repeatable; default: all)")
    bn.add_argument("--csv", type=_out_file((".csv",)), metavar="FILE",
                    help="write the results table to FILE.csv")
    bn.add_argument("--plot", type=_out_file((".png", ".svg", ".pdf")), metavar="FILE",
                    help="write the plots to FILE.png (or .svg, .pdf)")
    bn.set_defaults(func=cmd_bench)

    doc = sub.add_parser("doctor", help="check Python, nats-py, the server binary and a round "
                         "trip", formatter_class=fmt, epilog="example:\n  jslab doctor")
    doc.set_defaults(func=cmd_doctor)

    ws = sub.add_parser(
        "workshop", help="run a workshop: one shared server, an account per participant",
        formatter_class=fmt,
        epilog="examples:\n"
               "  jslab workshop init --participants 30 --out workshop --host 192.168.1.20\n"
               "  jslab server --config workshop/workshop.conf --host 0.0.0.0\n"
               "  jslab workshop status --config workshop/workshop.conf --watch 5",
    )
    ws_sub = ws.add_subparsers(dest="workshop_command", metavar="ACTION", required=True)
    init = ws_sub.add_parser(
        "init", help="write the server configuration and the participants sheet",
        formatter_class=fmt,
        epilog="example:\n  jslab workshop init --participants 30 --out workshop "
               "--host 192.168.1.20",
    )
    init.add_argument("--participants", type=_participants, required=True, metavar="N",
                      help="number of participants (accounts p01..pN)")
    init.add_argument("--out", required=True, metavar="DIR",
                      help="folder to write (workshop.conf, participants.md/.csv, workshop.json)")
    init.add_argument("--host", help="address participants reach this machine by, for the sheet "
                                     "(default: this machine's hostname)")
    init.add_argument("--port", type=_port, default=4222, metavar="P",
                      help="client port (default 4222)")
    init.add_argument("--monitor-port", type=_port, default=8222, metavar="P",
                      help="monitoring port, on 127.0.0.1 only (default 8222)")
    init.add_argument("--max-mem", default="64M", metavar="SIZE",
                      help="JetStream memory per account (default 64M; reserved by the server)")
    init.add_argument("--max-file", default="256M", metavar="SIZE",
                      help="JetStream disk per account (default 256M; reserved by the server)")
    init.add_argument("--max-streams", type=_positive, default=50, metavar="N",
                      help="streams per account (default 50)")
    init.add_argument("--max-consumers", type=_positive, default=200, metavar="N",
                      help="consumers per account (default 200)")
    init.add_argument("--force", action="store_true",
                      help="replace an existing workshop in DIR (everyone gets new passwords)")
    init.set_defaults(func=cmd_workshop_init)
    status = ws_sub.add_parser(
        "status", help="every participant's streams, consumers and exercises passed",
        formatter_class=fmt,
        epilog="example:\n  jslab workshop status --config workshop/workshop.conf --watch 5",
    )
    status.add_argument("--config", default="workshop", metavar="FILE",
                        help="the workshop's workshop.conf (or its folder; default: workshop)")
    status.add_argument("--url", help="the server (default: nats://127.0.0.1:<the workshop's "
                                      "port>, this machine)")
    status.add_argument("--watch", type=_seconds, metavar="S",
                        help="print the table again every S seconds until Ctrl-C")
    status.add_argument("--no-checks", action="store_true",
                        help="do not run the exercise checks (streams and consumers only)")
    status.set_defaults(func=cmd_workshop_status)

    nbs = sub.add_parser(
        "notebooks", help="copy the notebook series (optionally as exercises) to a folder",
        formatter_class=fmt,
        epilog="examples:\n  jslab notebooks ~/jslab-workshop --exercises\n"
               "  jslab notebooks ./my-copy",
    )
    nbs.add_argument("dest", metavar="DEST", help="folder to copy into (created if needed)")
    nbs.add_argument("--exercises", action="store_true",
                     help="empty the solution cells (the checks stay) for participants")
    nbs.add_argument("--from", dest="source", metavar="DIR",
                     help="folder of the series (default: the notebooks beside this jslab)")
    nbs.add_argument("--force", action="store_true",
                     help="overwrite notebooks already in DEST")
    nbs.set_defaults(func=cmd_notebooks)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
