"""The package layout keeps its promises: packages talk through their public API, and no import cycle.

See docs/design.md for what each package holds and the direction data flows in.
"""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "xapi_plugin"
# Packages whose every module is public (the foundation, and the test helpers).
ALL_PUBLIC = {"core", "testing", "settings", "migrations"}
FLOW = ["platform", "intake", "course", "video", "statements", "delivery"]


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        name = ".".join(rel.parts)
        yield name.removesuffix(".__init__"), path


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (ROOT / parts[1]).is_dir()) else None


def _public_names(package: str) -> set[str]:
    module = importlib.import_module(f"xapi_plugin.{package}")
    return set(getattr(module, "__all__", ()))


def _imports(path: Path, *, top_level_only: bool):
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("xapi_plugin"):
            yield node.module, [alias.name for alias in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("xapi_plugin"):
                    yield alias.name, [], node.lineno


def test_every_package_says_what_it_holds():
    for init in sorted(ROOT.glob("*/__init__.py")):
        if init.parent.name == "migrations":
            continue
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc) > 60, f"{init.parent.name}/__init__.py needs a docstring saying what lives there"


def test_packages_import_each_other_only_through_their_public_api():
    problems = []
    for module, path in _modules():
        own = _package_of(module)
        for target, names, line in _imports(path, top_level_only=False):
            parts = target.split(".")
            if len(parts) < 3:
                package = parts[1] if len(parts) == 2 else None
                if package and (ROOT / package).is_dir() and package != own and package not in ALL_PUBLIC:
                    missing = [name for name in names if name not in _public_names(package)]
                    if missing:
                        problems.append(f"{path.relative_to(ROOT)}:{line} imports {missing} from {package}, not public")
                continue
            package, inner = parts[1], parts[2]
            if package == own or package in ALL_PUBLIC:
                continue
            if own is None and module == "xapi_plugin.tasks" and inner == "tasks":
                continue  # Celery discovers tasks by module path
            if inner not in _public_names(package):
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {target}, an internal module of {package}")
    assert not problems, "\n".join(problems)


def _resolve(target: str, names: list[str]) -> list[str]:
    """The modules an import statement really loads at import time (lazy package exports resolved)."""
    parts = target.split(".")
    if len(parts) == 2 and (ROOT / parts[1]).is_dir():
        package = importlib.import_module(target)
        exports = getattr(package, "_EXPORTS", None)
        if exports is None:
            return [target]
        return [f"{target}.{exports[name]}" for name in names if name in exports]
    return [target]


def test_no_import_cycle_between_modules():
    graph = {}
    for module, path in _modules():
        deps = set()
        for target, names, _line in _imports(path, top_level_only=True):
            deps.update(dep for dep in _resolve(target, names) if dep != module)
        graph[module] = deps
    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen or node not in graph:
            return
        stack.append(node)
        for dep in sorted(graph[node]):
            visit(dep)
        stack.pop()
        seen.add(node)

    for node in sorted(graph):
        visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


@pytest.mark.parametrize("package", FLOW)
def test_the_tree_shows_the_flow(package):
    assert (ROOT / package / "__init__.py").exists()
