"""The image and the Lambda zip install exactly the hash-pinned lock file, which covers pyproject's runtime
dependencies; the agent CLIs and SDKs the end-to-end tests drive are pinned to exact versions."""

from __future__ import annotations

import json
import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.live import ROOT

LOCK = (ROOT / "requirements" / "lock.txt").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pinned() -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", LOCK, re.M)}


def test_the_lock_pins_every_runtime_dependency_within_its_range():
    pins = pinned()
    runtime = PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["deploy"]
    for line in runtime:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements/lock.txt: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]}: run `make lock`"


def test_every_pin_carries_hashes_and_no_test_tool_is_locked():
    entries = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", LOCK.split("\n", 6)[-1])
    for entry in entries:
        if "==" in entry.split("\n", 1)[0]:
            assert "--hash=sha256:" in entry, entry.split()[0]
    tests_only = {
        canonicalize_name(Requirement(line).name) for line in PYPROJECT["project"]["optional-dependencies"]["test"]
    }
    assert not tests_only & set(pinned()), tests_only & set(pinned())


def test_the_image_and_the_zip_install_the_lock_with_hashes_only():
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip install[^\n&]*", dockerfile)
    assert installs == ["pip install --require-hashes --no-deps -r requirements/lock.txt "]
    makefile = (ROOT / "Makefile").read_text()
    assert "$(PACKAGE_VENV)/bin/pip install --quiet --require-hashes --no-deps -r $(LOCK)" in makefile
    assert "VIRTUAL_ENV=$(abspath $(PACKAGE_VENV))" in makefile
    # The Web Adapter is pinned by version too.
    assert re.search(r"aws-lambda-adapter:\d+\.\d+\.\d+ ", dockerfile)


def test_the_agent_clis_and_sdks_the_tests_drive_are_pinned_to_exact_versions():
    package = json.loads((ROOT / "tests" / "clients" / "package.json").read_text())
    versions = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    assert versions
    for name, spec in versions.items():
        exact = spec.rsplit("@", 1)[-1] if spec.startswith("npm:") else spec
        assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", exact), f"{name}: {spec}"
