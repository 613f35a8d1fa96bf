"""Make Debian's chromium available for the headless-browser test.

The browser test drives JupyterLab through Playwright for Python, but with the system's
chromium (``/usr/bin/chromium``): Playwright's own browser downloads are never used, so
``playwright install`` is never run here.

What it does, in order:

1. ``/usr/bin/chromium`` exists -> nothing to install.
2. running as root on a machine with ``apt-get`` -> ``apt-get update`` and
   ``apt-get install -y chromium`` (a few minutes the first time; a no-op afterwards).
3. otherwise -> print why it cannot install and exit 0; the browser test then skips and
   says the same thing.

It also checks that the ``playwright`` package imports (it comes with the ``test`` extra).

Example::

    .venv/bin/python scripts/install_browser.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def _say(message: str) -> None:
    print(f"browser-deps: {message}", flush=True)


def _check_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        _say(
            f"the playwright package does not import ({exc}); "
            "install the test extra: .venv/bin/python -m pip install -e '.[test]'"
        )
        return False
    _say("playwright imports")
    return True


def _install_chromium() -> bool:
    if os.path.exists(CHROMIUM):
        _say(f"{CHROMIUM} is present")
        return True
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        _say(
            f"{CHROMIUM} is missing and this machine has no apt-get; install chromium "
            "with your system's package manager (the browser test will skip until then)"
        )
        return False
    if os.geteuid() != 0:
        _say(
            f"{CHROMIUM} is missing and installing it needs root; run "
            "`sudo apt-get install chromium` (the browser test will skip until then)"
        )
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (
        [apt_get, "update", "-qq"],
        [apt_get, "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ):
        _say("running " + " ".join(cmd) + " (this can take a few minutes)")
        result = subprocess.run(cmd, env=env, check=False)
        if result.returncode != 0:
            _say(
                f"`{' '.join(cmd)}` failed with exit code {result.returncode}; "
                "the browser test will skip until chromium is installed"
            )
            return False
    if not os.path.exists(CHROMIUM):
        _say(f"apt-get finished but {CHROMIUM} is still missing; the browser test will skip")
        return False
    _say(f"installed {CHROMIUM}")
    return True


def main() -> int:
    """Install what the browser test needs; always exit 0 so `make test` goes on."""
    _check_playwright()
    _install_chromium()
    return 0


if __name__ == "__main__":
    sys.exit(main())
