"""The coding agents and SDKs of the end-to-end tests, as `make test` installs them into .tools/.

Each pinned version is its own npm alias (tests/clients/package.json), so several versions of one tool sit
side by side. A test asks for a tool's command line and skips when the install step could not provide it.
SBC_TOOLS_MODULES points the tests at another install, and SBC_TOOLS_PACKAGES at the package.json naming what it
holds: the unpinned pass of `make test` (tests/clients/latest.py) installs each client's newest release under the
same alias scheme and points both there, so the same tests run those versions.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.live import ROOT

PACKAGES = Path(os.environ.get("SBC_TOOLS_PACKAGES") or Path(__file__).with_name("package.json"))
MODULES = Path(os.environ.get("SBC_TOOLS_MODULES") or ROOT / ".tools" / "node_modules")
RUN_TIMEOUT = 120
_EXPORT = re.compile(r'^export (\w+)="([^"]*)"')
_ESCAPES = re.compile(r"\x1b(\[[0-9;?>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)")


def pinned(prefix: str) -> list[str]:
    """The versions of a tool the tests run, newest first: pinned("claude-code") -> ["2.1.332", ...]."""
    names = json.loads(PACKAGES.read_text())["dependencies"]
    return [
        name[len(prefix) + 1 :]
        for name in names
        if name.startswith(prefix + "-") and name[len(prefix) + 1 :][:1].isdigit()
    ]


def node22() -> str:
    """Node.js 22, which current agents need (the machine's Node may be older)."""
    path = MODULES / "node22" / "bin" / "node"
    if not path.exists():
        pytest.skip("Node.js 22 is not installed in .tools (make test installs it)")
    return str(path)


def installed(alias: str, relative: str) -> Path:
    """A file of an installed package alias, or a skip naming what is missing."""
    path = MODULES / alias / relative
    if not path.exists():
        pytest.skip(f"{alias} is not installed in .tools (make test installs it from tests/clients/package.json)")
    return path


def node_command(alias: str, script: str) -> list[str]:
    """`node22 <script>` of an installed package alias, or a skip naming what is missing."""
    return [node22(), str(installed(alias, script))]


def platform_binary(alias: str, package: str, relative: str) -> list[str]:
    """The native binary an npm launcher package ships in its per-platform package (`opencode-linux-x64`).

    npm hoists the platform package by its own name; it must carry the launcher's version to be the pinned one.
    """
    version = json.loads(installed(alias, "package.json").read_text())["version"]
    arch = {"x86_64": "x64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    name = package.format(arch=arch)
    for place in (MODULES / alias / "node_modules" / name, MODULES / name):
        manifest = place / "package.json"
        if manifest.exists() and json.loads(manifest.read_text())["version"] == version and (place / relative).exists():
            return [str(place / relative)]
    pytest.skip(f"{alias} has no {name}@{version} binary in .tools (make test installs it)")


def clean_env(home: Path, **variables: str) -> dict[str, str]:
    """A user's environment: PATH (with Node 22 first), a fresh HOME, and only the given variables."""
    node_bin = str(MODULES / "node22" / "bin")
    return {"PATH": f"{node_bin}:{os.environ.get('PATH', '')}", "HOME": str(home), "TERM": "dumb", **variables}


def exports(text: str) -> dict[str, str]:
    """The variables a setup text's `export NAME="value"` lines set, as the user's shell would."""
    return dict(match.groups() for line in text.splitlines() if (match := _EXPORT.match(line.strip())))


def commands(text: str, program: str) -> list[list[str]]:
    """The setup text's command lines that run `program`, split as a shell would, without the program name."""
    return [
        words[1:] for line in text.splitlines() if (words := shlex.split(line, comments=True)) and words[0] == program
    ]


def run(
    argv: list[str], *, cwd: Path, env: dict[str, str], stdin: str | None = None, timeout: int = RUN_TIMEOUT
) -> subprocess.CompletedProcess:
    """Run a client once as a user's shell would; a hang fails the test with what the client printed."""
    try:
        return subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{argv[0]} did not finish within {timeout}s\n{exc.stdout}\n{exc.stderr}")


def stop_left_behind(marker: str, *, settle: float = 2.0) -> None:
    """Stop the processes a client left running in the background whose command line names `marker` (the Cline
    CLI starts a hub daemon in a session of its own, which outlives the command, sometimes just after it ends)."""
    deadline = time.monotonic() + settle
    while True:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if marker in command:
                    os.kill(int(entry.name), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                continue
        if time.monotonic() >= deadline:
            return
        time.sleep(0.25)


def plain(text: str) -> str:
    """Terminal output without colour and cursor escapes."""
    return _ESCAPES.sub("", text)


def bedrock_calls(emulator_log) -> list[dict]:
    """The model calls the gateway made for the test, each asserted answered (HTTP 200)."""
    calls = [entry for entry in emulator_log() if entry["operation"].startswith(("converse", "invoke"))]
    assert calls, "the client never reached Bedrock through the gateway"
    assert all(entry["status"] == 200 for entry in calls), [(e["operation"], e["status"]) for e in calls]
    return calls


def metered(records, identity: str, model: str, count: int) -> list[dict]:
    """The identity's usage records once `count` are written, each for `model` and answered 200."""
    found = records(identity)
    for _ in range(100):  # records are written as each response ends, which the client may not wait for
        if len(found) >= count:
            break
        time.sleep(0.1)
        found = records(identity)
    assert len(found) >= count, f"{len(found)} usage records for {count} model calls"
    assert {(record["model_requested"], record["status"]) for record in found} == {(model, 200)}, found
    return found


def tool_results(calls: list[dict]) -> list[str]:
    """The text of every tool result the client sent back to the model."""
    return [
        str(block["toolResult"]["content"])
        for entry in calls
        for message in entry["body"].get("messages", [])
        for block in message["content"]
        if "toolResult" in block
    ]
