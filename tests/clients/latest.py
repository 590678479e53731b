"""The newest published release of each end-to-end client, for the unpinned pass of `make test` (make test-latest).

    python tests/clients/latest.py install --tools DIR --venv DIR   # exit 0: something to test; 3: nothing reachable
    python tests/clients/latest.py summary LOG                       # one line from that pass's pytest log

`install` puts each npm package of tests/clients/package.json at its newest version into DIR/node_modules, under
the same alias scheme (`claude-code-<newest>`), and writes DIR/package.json naming what it installed, so the
tests (SBC_TOOLS_PACKAGES, SBC_TOOLS_MODULES) run those versions; Node.js stays at its pinned version (it runs
the agents, it is not one). The Python SDKs (openai, anthropic, openai-agents) are upgraded in a virtualenv of
their own that sees the pinned .venv's packages behind its own, so only they (and whatever they need newer) are
installed; DIR/python names the interpreter the tests run with (that virtualenv's, or the pinned one's when the
upgrade could not be made). npm's packages are installed together, else one by one: one that fails is reported
and left out, its tests skipped; a registry that does not answer is skipped, saying so. Nothing here fails the
run; it runs with the standard library alone.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PINNED = Path(__file__).with_name("package.json")
PYTHON_SDKS = ("openai", "anthropic", "openai-agents")
RUNTIMES = ("node22",)  # what the agents run on, kept at its pin
PROBE_TIMEOUT = 30
INSTALL_TIMEOUT = 600
PINNED_PYTHON = ROOT / ".venv" / "bin" / "python"
PIP_QUIET = ("--quiet", "--disable-pip-version-check", "--retries", "1", "--timeout", "30")
_SPEC = re.compile(r"^npm:(@?[^@]+)@(.+)$")
_DESELECTED = re.compile(r", \d+ deselected|\d+ deselected, ")  # the tests that are not client tests
_VERDICT = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+|no tests ran) in [\d.]+s")  # pytest's closing line


def quiet(argv: list[str], timeout: int) -> subprocess.CompletedProcess | None:
    """Run a command, its output kept; None when it cannot start or does not finish in time."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None


def npm_packages() -> dict[str, tuple[str, str]]:
    """package -> (alias prefix, pinned version) of the newest pin of each client in package.json."""
    found: dict[str, tuple[str, str]] = {}
    for alias, spec in json.loads(PINNED.read_text())["dependencies"].items():
        match = _SPEC.match(spec)
        if match and alias not in RUNTIMES and match[1] not in found:
            package, version = match.groups()
            found[package] = (alias.removesuffix("-" + version), version)
    return found


def newest_npm(package: str) -> str | None:
    done = quiet(["npm", "view", package, "version"], PROBE_TIMEOUT)
    return done.stdout.strip() or None if done and done.returncode == 0 else None


def npm_install(tools: Path, *args: str) -> bool:
    argv = ["npm", "install", "--silent", "--no-audit", "--no-fund", "--save-exact", "--prefix", str(tools), *args]
    done = quiet(argv, INSTALL_TIMEOUT)
    return bool(done and done.returncode == 0)


def _manifest(tools: Path, dependencies: dict[str, str]) -> None:
    """tools/package.json naming exactly `dependencies`: a client left out now is skipped, not run stale."""
    manifest = {"name": "sbc-e2e-clients-newest", "private": True, "dependencies": dependencies}
    (tools / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")


def install_npm(tools: Path) -> list[str]:
    """Install the newest npm clients into `tools` (all at once, else one by one); one report line each."""
    tools.mkdir(parents=True, exist_ok=True)
    pins = json.loads(PINNED.read_text())["dependencies"]
    runtimes = {name: pins[name] for name in RUNTIMES if name in pins}
    lines, wanted = [], {}
    for package, (prefix, pinned) in npm_packages().items():
        newest = newest_npm(package)
        if newest is None:
            lines.append(f"  {package}: the registry did not answer; skipped")
        else:
            wanted[package] = (f"{prefix}-{newest}", f"npm:{package}@{newest}", f"{newest} (pinned {pinned})")
    _manifest(tools, {**runtimes, **{alias: spec for alias, spec, _ in wanted.values()}})
    if npm_install(tools):
        return lines + [f"  {package} {shown}" for package, (_, _, shown) in wanted.items()]
    _manifest(tools, {})
    for name, spec in runtimes.items():
        if not npm_install(tools, f"{name}@{spec}"):
            lines.append(f"  {name}: could not be installed ({spec}); the agents' tests will be skipped")
    for package, (alias, spec, shown) in wanted.items():
        ok = npm_install(tools, f"{alias}@{spec}")
        lines.append(f"  {package} {shown}" + ("" if ok else ": could not be installed; its tests will be skipped"))
    return lines


def install_python(venv: Path) -> tuple[list[str], Path]:
    """Upgrade the Python SDKs in `venv`, which reads the pinned .venv's packages after its own: (report lines,
    the interpreter to run the tests with, the pinned one when the upgrade could not be made)."""
    python = venv / "bin" / "python"
    if not python.exists():
        quiet([sys.executable, "-m", "venv", str(venv)], INSTALL_TIMEOUT)
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    pinned = quiet([str(PINNED_PYTHON), "-c", purelib], PROBE_TIMEOUT)
    own = quiet([str(python), "-c", purelib], PROBE_TIMEOUT) if python.exists() else None
    if not (pinned and own and pinned.returncode == own.returncode == 0):
        return ["  the Python SDKs: no virtualenv could be made for them; they run at their pins"], PINNED_PYTHON
    # Behind the virtualenv's own packages: the pinned ones (and their .pth files: the project, installed editable).
    line = f"import site; site.addsitedir({pinned.stdout.strip()!r})\n"
    (Path(own.stdout.strip()) / "sbc-pinned.pth").write_text(line)
    done = quiet([str(python), "-m", "pip", "install", *PIP_QUIET, "--upgrade", *PYTHON_SDKS], INSTALL_TIMEOUT)
    if not done or done.returncode != 0:
        return ["  the Python SDKs: the upgrade failed; they run at their pins"], PINNED_PYTHON
    show = "import importlib.metadata as m, sys; print(' '.join(m.version(n) for n in sys.argv[1:]))"
    newest = quiet([str(python), "-c", show, *PYTHON_SDKS], PROBE_TIMEOUT)
    current = quiet([str(PINNED_PYTHON), "-c", show, *PYTHON_SDKS], PROBE_TIMEOUT)
    if not (newest and current and newest.returncode == current.returncode == 0):
        return ["  the Python SDKs: their versions could not be read; they run at their pins"], PINNED_PYTHON
    pairs = zip(PYTHON_SDKS, newest.stdout.split(), current.stdout.split(), strict=True)
    return [f"  {name} {version} (pinned {pin})" for name, version, pin in pairs], python


def install(tools: Path, venv: Path) -> int:
    """Install what each registry that answers has; tools/python names the interpreter the tests run with."""
    npm_up = bool((ping := quiet(["npm", "ping"], PROBE_TIMEOUT)) and ping.returncode == 0)
    pip = [str(PINNED_PYTHON), "-m", "pip", "index", "versions", *PIP_QUIET, PYTHON_SDKS[0]]
    pypi_up = bool((index := quiet(pip, PROBE_TIMEOUT)) and index.returncode == 0)
    if not (npm_up or pypi_up):
        print("newest releases: no package registry could be reached: skipped (not failing the run)")
        return 3
    tools.mkdir(parents=True, exist_ok=True)
    if npm_up:
        lines = install_npm(tools)
    else:
        _manifest(tools, {})
        lines = ["  npm's registry did not answer: the npm clients' tests are skipped"]
    if pypi_up:
        more, python = install_python(venv)
    else:
        more, python = ["  PyPI did not answer: the Python SDKs run at their pins"], PINNED_PYTHON
    (tools / "python").write_text(f"{python.absolute()}\n")  # not resolved: a virtualenv is its link
    print("Clients at their newest releases:", *lines, *more, sep="\n")
    return 0


def summary(log: Path) -> int:
    """The pass's failures, then one line that cannot be read as the run's verdict."""
    text = log.read_text(errors="replace") if log.exists() else ""
    failures = [line for line in text.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    for line in failures:
        print("  " + line)
    verdicts = [_DESELECTED.sub("", match[1]) for line in text.splitlines() if (match := _VERDICT.match(line))]
    stopped = "stopped at its time limit, " if "KeyboardInterrupt" in text else ""
    if verdicts:
        print(f"newest releases: {verdicts[-1]} ({stopped}not failing the run; the whole log: {log})")
    else:
        print(f"newest releases: ended without a verdict, stopped or broken (not failing the run; see {log})")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("install")
    setup.add_argument("--tools", type=Path, required=True)
    setup.add_argument("--venv", type=Path, required=True)
    report = commands.add_parser("summary")
    report.add_argument("log", type=Path)
    args = parser.parse_args(argv)
    return install(args.tools, args.venv) if args.command == "install" else summary(args.log)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
