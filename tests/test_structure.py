"""Structural rules for the ``autograd_core`` and ``nn`` packages, checked statically with :mod:`ast`.

* no import cycles between the modules of one package (imports inside functions count too);
* the names of built-in ops are compared (``op.name == "neg"``) or looked up (``OPS["neg"]``, ``get_op("neg")``)
  only in ``autograd_core/ops.py``, everything else goes through the op table;
* no module reaches into another module's private names (``from .mod import _x``, ``mod._x``), and the node
  internals ``._op`` / ``._arg`` are touched only in ``autograd_core/value.py``;
* ``autograd_core`` imports no optional third-party package at module level.

Every detector takes a directory, so the self-tests at the bottom can run it on planted files in ``tmp_path``
and prove it finds what it is meant to find.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd_core", "nn")
PROJECT_PACKAGES = frozenset(PACKAGES)


# --------------------------------------------------------------------------------------------- shared helpers


def _module_files(pkg_dir: Path) -> dict[str, Path]:
    """Module name relative to the package (``"value"``, ``"sub.mod"``, ``"__init__"``) -> file."""
    modules = {}
    for path in sorted(pkg_dir.rglob("*.py")):
        rel = path.relative_to(pkg_dir).with_suffix("")
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        parts = rel.parts
        if parts[-1] == "__init__" and len(parts) > 1:
            name = ".".join(parts[:-1])  # a subpackage is named by its directory
        else:
            name = ".".join(parts)
        modules[name] = path
    return modules


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _source_line(path: Path, lineno: int) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""


def _where(path: Path, node: ast.AST, root: Path) -> str:
    try:
        shown = path.relative_to(root)
    except ValueError:
        shown = path
    return f"{shown}:{node.lineno}: {_source_line(path, node.lineno)}"


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _containing_package(pkg_name: str, module: str, is_init: bool) -> list[str]:
    """Absolute dotted parts of the package that ``module`` (relative name) lives in, for relative imports: a
    package's ``__init__.py`` lives in the package itself, any other module in its parent."""
    parts = [pkg_name] + ([] if module == "__init__" else module.split("."))
    return parts if is_init else parts[:-1]


def _imported_modules(
    node: ast.AST, pkg_name: str, module: str, is_init: bool = False
) -> Iterator[tuple[str, str | None]]:
    """Absolute dotted modules an import statement imports, with the imported name (``from X import name``) or
    ``None``. For ``from X import name`` both ``X.name`` (in case ``name`` is a submodule) and ``X`` are
    candidates; the caller decides which exists."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, None
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = _containing_package(pkg_name, module, is_init)
            if node.level > 1:
                base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        for alias in node.names:
            yield target, alias.name
    elif isinstance(node, ast.Call):  # importlib.import_module("pkg.mod") / __import__("pkg.mod")
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name in ("import_module", "__import__") and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not arg.value.startswith("."):
                yield arg.value, None


def _relative_to_package(dotted: str, pkg_name: str) -> str | None:
    """``"autograd_core.value"`` -> ``"value"``, the package itself -> ``"__init__"``, elsewhere -> None."""
    if dotted == pkg_name:
        return "__init__"
    if dotted.startswith(pkg_name + "."):
        return dotted[len(pkg_name) + 1 :]
    return None


# ----------------------------------------------------------------------------------------------- import cycles


def import_graph(pkg_dir: Path, pkg_name: str | None = None) -> dict[str, set[str]]:
    """Intra-package import graph of ``pkg_dir``: module -> modules it imports (anywhere in the file, including
    inside functions). ``__init__`` is left out entirely: it imports everything, and edges *to* it (``import
    pkg``, ``from pkg import Name``, ``from . import Name`` for a non-module ``Name``) are not module edges."""
    pkg_name = pkg_name or pkg_dir.name
    modules = _module_files(pkg_dir)
    graph: dict[str, set[str]] = {name: set() for name in modules if name != "__init__"}
    for source in graph:
        for node in ast.walk(_parse(modules[source])):
            if not isinstance(node, (ast.Import, ast.ImportFrom, ast.Call)):
                continue
            for target, name in _imported_modules(node, pkg_name, source, modules[source].name == "__init__.py"):
                rel = _relative_to_package(target, pkg_name)
                if rel is None:
                    continue
                if name is not None:
                    sub = name if rel == "__init__" else f"{rel}.{name}"
                    if sub in graph:  # ``from . import value`` / ``from .sub import mod``: the submodule
                        graph[source].add(sub)
                        continue
                if isinstance(node, ast.Import):
                    # ``import pkg.a.b`` imports pkg.a and pkg.a.b
                    parts = rel.split(".") if rel != "__init__" else []
                    for i in range(1, len(parts) + 1):
                        prefix = ".".join(parts[:i])
                        if prefix in graph:
                            graph[source].add(prefix)
                elif rel in graph:
                    graph[source].add(rel)
    return graph


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively (no recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = []
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work.append((start, iter(sorted(graph.get(start, ())))))
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in graph:
                    continue
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def find_cycles(graph: dict[str, set[str]], limit: int = 100) -> list[list[str]]:
    """Elementary cycles of ``graph``, each as ``[a, b, c, a]`` starting at its smallest module, at most
    ``limit`` of them. Iterative: cycles through ``s`` are searched using only nodes ``>= s`` of ``s``'s strongly
    connected component, so each cycle is found exactly once."""
    cycles: list[list[str]] = []
    for component in strongly_connected_components(graph):
        members = set(component)
        if len(component) == 1 and component[0] not in graph.get(component[0], ()):
            continue  # a single module that does not import itself
        for start in component:  # sorted
            allowed = {m for m in members if m >= start}
            path = [start]
            on_path = {start}
            work = [iter(sorted(graph[start] & allowed))]
            while work:
                succ = next(work[-1], None)
                if succ is None:
                    work.pop()
                    on_path.discard(path.pop())
                    continue
                if succ == start:
                    cycles.append(path + [start])
                    if len(cycles) >= limit:
                        return cycles
                elif succ not in on_path:
                    path.append(succ)
                    on_path.add(succ)
                    work.append(iter(sorted(graph[succ] & allowed)))
    return cycles


def import_cycle_report(pkg_dir: Path, pkg_name: str | None = None) -> list[str]:
    pkg_name = pkg_name or pkg_dir.name
    return [" -> ".join(f"{pkg_name}.{m}" for m in cycle) for cycle in find_cycles(import_graph(pkg_dir, pkg_name))]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles(package):
    cycles = import_cycle_report(ROOT / package, package)
    assert not cycles, (
        f"{len(cycles)} import cycle(s) between modules of {package} (imports inside functions count: a lazy import "
        "only hides a cycle, it does not remove it; move the shared code to a module both can import):\n  "
        + "\n  ".join(cycles)
    )


# ------------------------------------------------------------------------------------ op names outside ops.py


def builtin_op_names() -> set[str]:
    from autograd_core.ops import OPS

    return {name for name, op in OPS.items() if getattr(op, "builtin", True)}


def _string_constants(node: ast.AST) -> list[str]:
    """The string constant ``node`` is, or the string constants of a tuple/list/set display."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _called_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def op_name_uses(files: Iterable[Path], op_names: set[str], root: Path) -> list[str]:
    """``file:line: source`` for each comparison with, or op-table lookup by, a built-in op-name literal:
    ``x == "neg"``, ``x in ("neg", "abs")``, ``case "neg":``, ``OPS["neg"]``, ``OPS.get("neg")``,
    ``get_op("neg")``. Dict literals and dict keys are not uses."""
    found = []
    for path in files:
        for node in ast.walk(_parse(path)):
            hits: list[str] = []
            if isinstance(node, ast.Compare):
                for side in [node.left, *node.comparators]:
                    hits += [s for s in _string_constants(side) if s in op_names]
            elif isinstance(node, ast.MatchValue):  # ``match name: case "neg": ...`` is a comparison too
                hits += [s for s in _string_constants(node.value) if s in op_names]
            elif isinstance(node, ast.Subscript) and _called_name(node.value) == "OPS":
                hits += [s for s in _string_constants(node.slice) if s in op_names]
            elif isinstance(node, ast.Call) and node.args:
                name = _called_name(node.func)
                is_lookup = name == "get_op" or (
                    name == "get" and isinstance(node.func, ast.Attribute) and _called_name(node.func.value) == "OPS"
                )
                if is_lookup:
                    hits += [s for s in _string_constants(node.args[0]) if s in op_names]
            if hits:
                found.append(f"{_where(path, node, root)}    [{', '.join(sorted(set(hits)))}]")
    return _merged(found)


def _location_key(entry: str) -> tuple[str, int]:
    file, line, _ = entry.split(":", 2)
    return file, int(line)


def _merged(entries: Iterable[str]) -> list[str]:
    """One entry per ``file:line``, the bracketed notes of findings on the same line joined, sorted by location."""
    by_line: dict[tuple[str, int], tuple[str, list[str]]] = {}
    for entry in entries:
        text, _, note = entry.rpartition("    [")
        _, notes = by_line.setdefault(_location_key(entry), (text, []))
        if note and note not in notes:
            notes.append(note)
    return [
        text + ("    [" + "; ".join(n.rstrip("]") for n in notes) + "]" if notes else "")
        for _, (text, notes) in sorted(by_line.items())
    ]


def _op_name_scope(root: Path) -> list[Path]:
    core = [p for p in sorted((root / "autograd_core").rglob("*.py")) if p.name != "ops.py"]
    return core + sorted((root / "nn").rglob("*.py"))


def test_no_op_name_compared_outside_ops():
    op_names = builtin_op_names()
    assert op_names, "autograd_core.ops.OPS has no built-in ops; the test would check nothing"
    found = op_name_uses(_op_name_scope(ROOT), op_names, ROOT)
    assert not found, (
        f"{len(found)} place(s) outside autograd_core/ops.py compare with, or look up the op table by, a built-in "
        "op name; ask the Op (a field or a method on it) instead, or keep a dict keyed by name:\n  "
        + "\n  ".join(found)
    )


# ------------------------------------------------------------------------------- private names across modules


def private_name_uses(pkg_dirs: Iterable[Path], root: Path, internals_owner: Path | None = None) -> list[str]:
    """``file:line: source`` for (1) ``from <project module> import _name``, (2) ``alias._name`` where ``alias`` was
    bound in that file by an import from a project package, (3) ``._op`` / ``._arg`` anywhere except in
    ``internals_owner`` (``autograd_core/value.py``)."""
    pkg_dirs = list(pkg_dirs)
    project = {d.name for d in pkg_dirs} | PROJECT_PACKAGES
    found = []
    for pkg_dir in pkg_dirs:
        for module, path in _module_files(pkg_dir).items():
            tree = _parse(path)
            project_aliases: set[str] = set()
            for node in ast.walk(tree):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                imported = _imported_modules(node, pkg_dir.name, module, path.name == "__init__.py")
                for alias, (target, name) in zip(node.names, imported):
                    if target.split(".")[0] not in project:
                        continue
                    if isinstance(node, ast.ImportFrom):
                        if _is_private(name):
                            found.append(f"{_where(path, node, root)}    [imports private {name} from {target}]")
                        project_aliases.add(alias.asname or name)
                    else:
                        private = [p for p in target.split(".") if _is_private(p)]
                        if private:
                            found.append(f"{_where(path, node, root)}    [imports private module {target}]")
                        project_aliases.add(alias.asname or target.split(".")[0])
            is_owner = internals_owner is not None and path.resolve() == internals_owner.resolve()
            for node in ast.walk(tree):
                if not isinstance(node, ast.Attribute):
                    continue
                if node.attr in ("_op", "_arg") and not is_owner:
                    found.append(f"{_where(path, node, root)}    [.{node.attr} outside value.py]")
                elif isinstance(node.value, ast.Name) and node.value.id in project_aliases and _is_private(node.attr):
                    note = f"{node.value.id}.{node.attr}: private name of another module"
                    found.append(f"{_where(path, node, root)}    [{note}]")
    return _merged(found)


def test_no_private_cross_module_names():
    found = private_name_uses(
        [ROOT / p for p in PACKAGES], ROOT, internals_owner=ROOT / "autograd_core" / "value.py"
    )
    assert not found, (
        f"{len(found)} use(s) of another module's private names (make the name public, or add a public function "
        "to the owning module; Value._op/_arg are value.py's business):\n  " + "\n  ".join(found)
    )


# ------------------------------------------------------------------------- optional dependencies at top level

OPTIONAL_DEPENDENCIES = frozenset(
    {"graphviz", "matplotlib", "tqdm", "numpy", "torch", "sympy", "hypothesis", "selenium"}
)
# autograd_core/testing.py is the hypothesis-strategies module; it imports hypothesis at module level inside
# ``try: ... except ImportError: raise ImportError("... pip install 'autograd-core[test]'")``. That is allowed as
# long as nothing else in the package imports testing.py at module level (checked below).
TOP_LEVEL_ALLOWED = {"testing": frozenset({"hypothesis"})}


def _is_type_checking(test: ast.AST) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Statements (and import calls) that run when the module is imported: the module body, including the
    bodies of if/try/with/for/while and class bodies, but not functions or ``if TYPE_CHECKING:`` blocks."""
    pending = list(body)
    while pending:
        stmt = pending.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pending.extend(stmt.decorator_list)  # decorators run at import; the body does not
            continue
        if isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
            pending.extend(stmt.orelse)
            continue
        yield stmt
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            pending.extend(getattr(stmt, field, None) or [])
        if isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)):
            pending.extend(n for n in ast.walk(stmt) if isinstance(n, ast.Call))


def top_level_dependency_imports(
    pkg_dir: Path, forbidden: frozenset[str], allowed: dict[str, frozenset[str]], root: Path
) -> list[str]:
    pkg_name = pkg_dir.name
    found = []
    module_level_edges: dict[str, set[str]] = {}
    for module, path in _module_files(pkg_dir).items():
        edges = module_level_edges.setdefault(module, set())
        for node in _module_level_nodes(_parse(path).body):
            if not isinstance(node, (ast.Import, ast.ImportFrom, ast.Call)):
                continue
            for target, name in _imported_modules(node, pkg_name, module, path.name == "__init__.py"):
                top = target.split(".")[0]
                rel = _relative_to_package(target, pkg_name)
                if rel is not None:
                    edges.add(rel)
                    if name is not None:
                        edges.add(name if rel == "__init__" else f"{rel}.{name}")
                if top in forbidden and top not in allowed.get(module, ()):
                    found.append(f"{_where(path, node, root)}    [{top} imported at module level]")
    for module, deps in sorted(allowed.items()):
        importers = sorted(m for m, edges in module_level_edges.items() if module in edges and m != module)
        for importer in importers:
            found.append(
                f"{pkg_name}/{importer.replace('.', '/')}.py imports {pkg_name}.{module} at module level, and "
                f"{module} may import {', '.join(sorted(deps))} only because nothing else imports it eagerly"
            )
    return sorted(set(found))


def test_core_has_no_runtime_dependency_imports_at_top_level():
    found = top_level_dependency_imports(ROOT / "autograd_core", OPTIONAL_DEPENDENCIES, TOP_LEVEL_ALLOWED, ROOT)
    assert not found, (
        "autograd_core has no runtime dependencies; optional packages must be imported inside the function that "
        "needs them, with an ImportError that says what to install:\n  " + "\n  ".join(found)
    )


# ------------------------------------------------------------------------------ the detectors detect (self-tests)


def _plant(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_self_cycle_detection_finds_planted_cycles(tmp_path):
    pkg = _plant(
        tmp_path / "autograd_core",
        {
            "__init__.py": "from .a import A\nfrom .b import B\nfrom .c import C\nfrom .d import D\n",
            # a -> b at top level, b -> c through ``from . import c``, c -> a lazily inside a function
            "a.py": "from .b import B\nA = 1\n",
            "b.py": "from . import c\nB = 2\n",
            "c.py": "def f():\n    import autograd_core.a\n    return autograd_core.a.A\nC = 3\n",
            # d imports the package (``__init__``), which is not an edge; e imports itself
            "d.py": "import autograd_core\nfrom autograd_core import A\nfrom . import A as _A\nD = 4\n",
            "e.py": "from autograd_core.e import x\nx = 1\n",
            "sub/__init__.py": "from . import f\n",
            "sub/f.py": "from .. import d\nfrom ..sub import g\n",
            "sub/g.py": "def h():\n    from autograd_core.sub.f import z\n",
        },
    )
    assert import_graph(pkg)["d"] == set()
    assert import_graph(pkg)["sub.f"] == {"d", "sub.g"}
    assert import_graph(pkg)["sub"] == {"sub.f"}  # a subpackage's __init__ resolves ``.`` to itself
    assert sorted(import_cycle_report(pkg)) == [
        "autograd_core.a -> autograd_core.b -> autograd_core.c -> autograd_core.a",
        "autograd_core.e -> autograd_core.e",
        "autograd_core.sub.f -> autograd_core.sub.g -> autograd_core.sub.f",
    ]


def test_self_cycle_detection_nn_ignores_core_imports(tmp_path):
    pkg = _plant(
        tmp_path / "nn",
        {
            "__init__.py": "from . import x, y\n",
            "x.py": "import autograd_core as ag\nfrom autograd_core import value\nfrom nn.y import Y\n",
            "y.py": "import nn\nfrom nn import X\nY = 1\n",
        },
    )
    assert import_graph(pkg) == {"x": {"y"}, "y": set()}
    assert import_cycle_report(pkg) == []


def test_self_find_cycles_lists_every_elementary_cycle():
    graph = {"a": {"b", "c"}, "b": {"a", "c"}, "c": {"a"}, "d": {"a"}}
    assert sorted(find_cycles(graph)) == [["a", "b", "a"], ["a", "b", "c", "a"], ["a", "c", "a"]]
    deep = {str(i).zfill(5): {str(i + 1).zfill(5)} for i in range(1500)}  # deeper than the recursion limit
    deep["01500"] = {"00000"}
    assert len(find_cycles(deep)) == 1


def test_self_op_name_detection_finds_plants(tmp_path):
    root = _plant(
        tmp_path,
        {
            "nn/act.py": (
                "TABLE = {'sigmoid': 1, 'relu': 2}\n"  # 1: dict literal, fine
                "def f(name, op, OPS, get_op):\n"  # 2
                "    if name == 'sigmoid':\n"  # 3: flagged
                "        pass\n"  # 4
                "    if op.name in ('neg', 'abs'):\n"  # 5: flagged
                "        pass\n"  # 6
                "    a = OPS['neg']\n"  # 7: flagged
                "    b = get_op('exp')\n"  # 8: flagged
                "    c = name == 'softmax'\n"  # 9: not an op, fine
                "    d = TABLE['relu']\n"  # 10: dict lookup, fine
                "    match name:\n"  # 11
                "        case 'tanh':\n"  # 12: flagged
                "            pass\n"
                "    return 'relu' != name\n"  # 14: flagged
            ),
            "autograd_core/ops.py": "def f(name):\n    return name == 'neg'\n",
        },
    )
    op_names = {"neg", "abs", "exp", "sigmoid", "relu", "tanh"}
    found = op_name_uses(_op_name_scope(root), op_names, root)
    assert [_location_key(e)[1] for e in found] == [3, 5, 7, 8, 12, 14], found
    assert all(e.startswith("nn/act.py:") for e in found)


def test_self_private_name_detection_finds_plants(tmp_path):
    root = _plant(
        tmp_path,
        {
            "autograd_core/__init__.py": "",
            "autograd_core/value.py": "class Value:\n    def f(self):\n        return self._op, self._arg\n",
            "autograd_core/ops.py": "ADD = 1\n_hidden = 2\n",
            "autograd_core/user.py": (
                "import sys\n"  # 1
                "from . import ops as _ops\n"  # 2
                "from .ops import _hidden\n"  # 3: flagged
                "from .value import Value as _Value\n"  # 4
                "a = _ops.ADD\n"  # 5: public, fine
                "b = _ops._hidden\n"  # 6: flagged
                "c = sys._getframe\n"  # 7: stdlib, not the project's business
                "def g(v):\n"  # 8
                "    return v._op\n"  # 9: flagged
                "d = _Value._cache\n"  # 10: flagged
                "e = _ops.__name__\n"  # 11: dunder, fine
            ),
            "nn/__init__.py": "",
            "nn/layer.py": (
                "import autograd_core as ag\n"  # 1
                "from autograd_core.value import _to_float\n"  # 2: flagged
                "from nn.other import _x\n"  # 3: flagged
                "x = ag._secret\n"  # 4: flagged
                "y = ag.Value(1)._arg\n"  # 5: flagged
            ),
        },
    )
    found = private_name_uses(
        [root / "autograd_core", root / "nn"], root, internals_owner=root / "autograd_core" / "value.py"
    )
    by_file = {}
    for entry in found:
        file, line = _location_key(entry)
        by_file.setdefault(file, []).append(line)
    assert by_file == {"autograd_core/user.py": [3, 6, 9, 10], "nn/layer.py": [2, 3, 4, 5]}, found


def test_self_top_level_import_detection_finds_plants(tmp_path):
    root = _plant(
        tmp_path,
        {
            "autograd_core/__init__.py": "from .a import f\n",
            "autograd_core/a.py": (
                "import math\n"
                "try:\n    import numpy as np\nexcept ImportError:\n    np = None\n"  # flagged (line 3)
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    import torch\n"  # type-only, fine
                "def f():\n    import graphviz\n    return graphviz\n"  # lazy, fine
                "class K:\n    import tqdm\n"  # class bodies run at import: flagged (line 13)
            ),
            "autograd_core/testing.py": "try:\n    from hypothesis import strategies\nexcept ImportError:\n    raise\n",
            "autograd_core/b.py": "import importlib\nmpl = importlib.import_module('matplotlib.pyplot')\n",
        },
    )
    found = top_level_dependency_imports(root / "autograd_core", OPTIONAL_DEPENDENCIES, TOP_LEVEL_ALLOWED, root)
    assert [e.split("    [")[0] for e in found] == [
        "autograd_core/a.py:13: import tqdm",
        "autograd_core/a.py:3: import numpy as np",
        "autograd_core/b.py:2: mpl = importlib.import_module('matplotlib.pyplot')",
    ], found

    # testing.py's allowance ends when another module imports it eagerly
    _plant(root, {"autograd_core/__init__.py": "from .a import f\nfrom . import testing\n"})
    found = top_level_dependency_imports(root / "autograd_core", OPTIONAL_DEPENDENCIES, TOP_LEVEL_ALLOWED, root)
    assert any(e.startswith("autograd_core/__init__.py imports autograd_core.testing") for e in found), found
