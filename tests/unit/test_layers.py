"""The import graph of ``nova/``: no circles, and dependencies point down.

Every ``import`` in every module counts, those inside functions too (a
lazy import is still a dependency, only a later one). A module depends on
each module it names (``from nova.api import errors``: ``nova.api.errors``).
A package's ``__init__`` that gathers its submodules (``nova.conf``) is no
circle: the submodules do not import it back.
"""

import ast
import pathlib

import pytest

from tests.helpers import ROOT

PACKAGE = ROOT / "nova"


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")
            if "migrations" not in p.parts}


def _imports(name, path, known):
    """The nova modules ``name`` imports (resolved to known modules)."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names]
            targets.append(base)
        for target in targets:
            # The longest known module that the name starts with.
            parts = target.split(".")
            while parts and ".".join(parts) not in known:
                parts.pop()
            if parts:
                found.add(".".join(parts))
    found.discard(name)
    return found


def _graph():
    known = _modules()
    return {name: _imports(name, path, known)
            for name, path in known.items()}


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_nova_has_no_import_circles():
    cycles = _cycles(_graph())
    assert not cycles, "import circles: " + "; ".join(
        " <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    # The positive control of the test above.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]]


# (package, what it must never import): the domain and the store know
# nothing of HTTP, of the API built on them, or of how a process loads.
LOWER_LAYERS = [
    ("nova.compute", ("nova.api", "nova.wsgi", "nova.loading", "nova.cmd")),
    ("nova.db", ("nova.api", "nova.wsgi", "nova.loading", "nova.cmd",
                 "nova.compute")),
    ("nova.exception", ("nova.",)),
    ("nova.policy", ("nova.api", "nova.compute", "nova.db")),
    ("nova.policies", ("nova.api", "nova.compute", "nova.db")),
    ("nova.conf", ("nova.api", "nova.compute", "nova.db", "nova.wsgi")),
    # The clients of Glance, Neutron and Keystone: beside the domain, they
    # know neither it, nor the store, nor the HTTP layer.
    ("nova.clients", ("nova.api", "nova.wsgi", "nova.loading", "nova.cmd",
                      "nova.compute", "nova.db")),
]


@pytest.mark.parametrize("package,forbidden", LOWER_LAYERS,
                         ids=[p for p, _f in LOWER_LAYERS])
def test_dependencies_point_down(package, forbidden):
    wrong = []
    for name, imported in sorted(_graph().items()):
        if name != package and not name.startswith(package + "."):
            continue
        for target in sorted(imported):
            if any(target == f.rstrip(".") or target.startswith(f)
                   if f.endswith(".") else
                   target == f or target.startswith(f + ".")
                   for f in forbidden):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(wrong)
