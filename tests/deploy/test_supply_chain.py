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
TEST_LOCK = (ROOT / "requirements" / "test-lock.txt").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pinned(lock: str = LOCK) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", lock, re.M)}


def entries(lock: str) -> list[str]:
    return [entry for entry in re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n", 6)[-1]) if "==" in entry]


def test_the_lock_pins_every_runtime_dependency_within_its_range():
    pins = pinned()
    runtime = PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["deploy"]
    for line in runtime:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements/lock.txt: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]}: run `make lock`"


def test_every_pin_carries_hashes_and_no_test_tool_is_locked():
    for entry in entries(LOCK):
        assert "--hash=sha256:" in entry, entry.split()[0]
    tests_only = {
        canonicalize_name(Requirement(line).name) for line in PYPROJECT["project"]["optional-dependencies"]["test"]
    }
    assert not tests_only & set(pinned()), tests_only & set(pinned())


def test_the_test_tools_are_locked_with_hashes_at_the_runtime_locks_versions():
    """A fresh clone next month installs the test tools CI used today, and the packages both locks share at one
    version, so the suite tests what the image and the zip run."""
    tests = pinned(TEST_LOCK)
    for line in PYPROJECT["project"]["optional-dependencies"]["test"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in tests, f"{name} is not in requirements/test-lock.txt: run `make lock`"
        assert requirement.specifier.contains(tests[name], prereleases=True), f"{name}=={tests[name]}: run `make lock`"
    assert {name: version for name, version in pinned().items() if tests.get(name) != version} == {}
    for entry in entries(TEST_LOCK):
        assert "--hash=sha256:" in entry, entry.split()[0]
    makefile = (ROOT / "Makefile").read_text()
    assert "$(PY) -m pip install --quiet --require-hashes -r $(TEST_LOCK)" in makefile
    assert "$(PY) -m pip install --quiet --no-deps -e ." in makefile


def test_the_image_and_the_zip_install_the_lock_with_hashes_only():
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip install[^\n&]*", dockerfile)
    assert installs == ["pip install --require-hashes --no-deps -r requirements/lock.txt "]
    makefile = (ROOT / "Makefile").read_text()
    assert "$(PACKAGE_VENV)/bin/pip install --quiet --require-hashes --no-deps -r $(LOCK)" in makefile
    # What the zip carries: the same lock, hash-checked, as wheels for Lambda's platform (the stage's architecture).
    site = re.search(
        r"pip install --quiet --require-hashes --no-deps --only-binary=:all: [^\n]*\\\n\s+--platform (\S+)", makefile
    )
    assert site and site[1] == "$(PACKAGE_PLATFORM)" and "-r $(LOCK)" in makefile[site.end() : site.end() + 200]
    assert "VIRTUAL_ENV=$(abspath $(PACKAGE_SITE))" in makefile
    # The Web Adapter is pinned by version too.
    assert re.search(r"aws-lambda-adapter:\d+\.\d+\.\d+ ", dockerfile)


def test_the_agent_clis_and_sdks_the_tests_drive_are_pinned_to_exact_versions():
    package = json.loads((ROOT / "tests" / "clients" / "package.json").read_text())
    versions = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    assert versions
    for name, spec in versions.items():
        exact = spec.rsplit("@", 1)[-1] if spec.startswith("npm:") else spec
        assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", exact), f"{name}: {spec}"
