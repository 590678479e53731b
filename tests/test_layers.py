"""The walls between the apps: imports go one way, no module imports in a loop, and no import hides in a
function without a reason written here.

    core -> audit -> tokens -> usage -> gateway -> portal -> sbcproject     (each imports only those before it)
    bedrock_emulator imports none of them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.live import ROOT

LAYERS = ("core", "audit", "tokens", "usage", "gateway", "portal", "sbcproject")
PACKAGES = (*LAYERS, "bedrock_emulator")
# Imports inside a function, each with the reason it cannot be at the top of its module.
FUNCTION_IMPORTS_ALLOWED = {
    ("bedrock_emulator/server.py", "uvloop"): "optional: a faster event loop when installed",
    ("sbcproject/devrun.py", "boto3"): "only to look for AWS credentials when `make run` starts",
    ("usage/apps.py", "usage.cloudwatch"): "watchtower is imported only when CLOUDWATCH_LOG_GROUP is set",
    # Cold start: what a fresh process's first /v1 answer does not need is imported when first used.
    ("tokens/secrets_manager.py", "boto3"): "with the mirror's first AWS client (token issue, revoke, sync)",
    ("usage/alerts.py", "boto3"): "with the first budget alert sent to SNS",
    ("gateway/bedrock/__init__.py", "gateway.bedrock.aio"): "aiohttp with the first stream read on the loop",
    ("gateway/urls.py", "gateway.openapi.views"): "drf-spectacular with the first GET /v1/openapi.json",
}
APP_READY = "apps.py"  # AppConfig.ready() is where Django wants models and signals imported


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported(tree: ast.AST, known: dict[str, Path]) -> list[tuple[ast.AST, str]]:
    """(node, module) for each import of one of our modules (the longest known prefix of what it names)."""
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in known:
                    found.append((node, candidate))
                    break
    return found


def top_level(tree: ast.Module) -> set[int]:
    """Line numbers of imports run when the module is imported (not inside a function)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    lines.add(-inner.lineno)
    return lines


def parsed() -> dict[str, ast.Module]:
    return {name: ast.parse(path.read_text()) for name, path in modules().items()}


def test_each_app_imports_only_the_apps_before_it():
    known, wrong = modules(), []
    for name, tree in parsed().items():
        package = name.split(".")[0]
        for node, target in imported(tree, known):
            target_package = target.split(".")[0]
            if package == "bedrock_emulator" or target_package == "bedrock_emulator":
                if package != target_package:
                    wrong.append(f"{name} imports {target}")
            elif LAYERS.index(target_package) > LAYERS.index(package):
                wrong.append(f"{name}:{node.lineno} imports {target}")
    assert wrong == []


def test_no_import_hides_in_a_function_without_a_reason():
    hidden = []
    for path in modules().values():
        tree = ast.parse(path.read_text())
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or path.name == APP_READY:
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    targets = [alias.name for alias in inner.names]
                elif isinstance(inner, ast.ImportFrom):
                    targets = [inner.module or ""]
                else:
                    continue
                hidden += [
                    f"{relative}:{inner.lineno} {target}"
                    for target in targets
                    if (relative, target) not in FUNCTION_IMPORTS_ALLOWED
                ]
    assert hidden == []


def test_no_module_imports_itself_through_others():
    known, trees = modules(), parsed()
    graph = {name: {target for node, target in imported(tree, known) if target != name} for name, tree in trees.items()}
    # A package's __init__ importing its own modules is how a package is built, not a loop.
    for name in graph:
        graph[name] = {target for target in graph[name] if not target.startswith(name + ".")}
    loops, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                loops.append(
                    " -> ".join(path[path.index(target) :] + [node, target])
                    if target in path
                    else f"{node} -> {target}"
                )
            elif target not in state:
                visit(target, path + [node])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert loops == []
