"""The house: layers import only what docs/architecture.md allows, and nothing more.

These tests read the code as text (``ast``): the import table of
``docs/architecture.md``, the private methods of the store and the connectors, the
declared dependencies. Two run the command line in a fresh process to see which
libraries it loads.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pastas_projects"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def layer_of(path: Path) -> str:
    """The layer a package module belongs to: its folder, or its module name."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts == ("__init__",):
        return "root"
    return parts[0]


def module_layer(module: str) -> str | None:
    """The layer of an imported ``pastas_projects...`` module (None: another package)."""
    parts = module.split(".")
    if parts[0] != "pastas_projects":
        return None
    return parts[1] if len(parts) > 1 else "root"


def allowed_imports() -> dict[str, set[str] | None]:
    """``layer -> layers it may import`` from the table in docs/architecture.md."""
    table = {}
    for line in ARCHITECTURE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        layer = cells[0].strip("`")
        may = cells[2]
        table[layer] = None if may == "every layer" else set(re.findall(r"`([\w]+)`", may))
    return table


def package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "data" not in p.parts)


def runtime_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, module)`` of every import, except those under ``if TYPE_CHECKING:``."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for child in node.body for n in ast.walk(child)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            if base == "pastas_projects":  # from pastas_projects import errors: the module
                found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
            else:
                found += [(node.lineno, base)]
    return found


def test_the_import_table_is_complete():
    table = allowed_imports()
    layers = {layer_of(p) for p in package_files()}
    assert layers <= set(table), f"layers missing from docs/architecture.md: {layers - set(table)}"


def test_every_import_follows_the_table():
    table = allowed_imports()
    broken = []
    for path in package_files():
        layer = layer_of(path)
        allowed = table[layer]
        if allowed is None:
            continue
        for line, module in runtime_imports(ast.parse(path.read_text())):
            target = module_layer(module)
            if target is None or target == layer:
                continue
            if module == "pastas_projects" and "root" not in allowed:
                broken.append(f"{path.relative_to(ROOT)}:{line} imports the package root")
            elif target != "root" and target not in allowed:
                broken.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {module}")
    assert not broken, "\n".join(broken)


def private_methods(folder: str) -> set[str]:
    """Underscore methods defined by the classes of a layer (dunder methods excluded)."""
    names = set()
    for path in (PACKAGE / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        name = item.name
                        if name.startswith("_") and not name.endswith("__"):
                            names.add(name)
    return names


def test_nobody_above_the_store_calls_its_private_methods():
    private = private_methods("store") | private_methods("connectors")
    assert {"_write", "_read_metadata", "_require"} <= private
    files = [p for p in package_files() if layer_of(p) not in ("store", "connectors")]
    files += sorted((ROOT / "benchmarks").glob("*.py"))
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in private
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "\n".join(found)


def import_graph(folder: Path, package: str) -> dict[str, set[str]]:
    """Module-level imports between the modules of a folder (its package name given)."""
    graph: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        rel = path.relative_to(folder.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        targets = set()
        for node in tree.body:  # module level only: function-level imports run later
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets.add(node.module)
                targets |= {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {t for t in targets if t.startswith(package) and t != name}
    return {m: {t for t in ts if t in graph} for m, ts in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    # a package's __init__ importing its own modules is not a cycle of modules
    return [
        c for c in found if not any(a.startswith(b + ".") for a, b in zip(c, c[1:], strict=False))
    ]


@pytest.mark.parametrize("folder", ["pastas_projects", "benchmarks"])
def test_no_import_cycles(folder):
    graph = import_graph(ROOT / folder, folder)
    assert not cycles(graph)


def test_benchmarks_do_not_edit_sys_path():
    for path in (ROOT / "benchmarks").glob("*.py"):
        assert "sys.path" not in path.read_text(), path.name


def declared_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs += extra
    return {re.split(r"[<>=!\[ ;]", s, maxsplit=1)[0].lower().replace("_", "-") for s in specs}


def test_every_direct_import_is_declared():
    distributions = importlib.metadata.packages_distributions()
    declared = declared_distributions()
    stdlib = set(sys.stdlib_module_names)
    missing = set()
    files = package_files() + sorted((ROOT / "benchmarks").glob("*.py"))
    files += sorted((ROOT / "tests").glob("*.py"))
    local = {"pastas_projects", "benchmarks", "tests", "sqlite_connector"}  # docs/examples
    local |= {p.stem for p in (ROOT / "tests").glob("*.py")}
    for path in files:
        for _, module in runtime_imports(ast.parse(path.read_text())):
            top = module.split(".")[0]
            if top in stdlib or top in local or top == "__future__":
                continue
            dists = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
            if not dists & declared:
                missing.add(f"{top} ({path.relative_to(ROOT)})")
    assert not missing, f"imported but not declared in pyproject.toml: {sorted(missing)}"


def loaded_modules(code: str) -> set[str]:
    """Top-level modules loaded after running ``code`` in a fresh interpreter."""
    script = code + "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def test_importing_the_flows_does_not_load_arcticdb_or_pastas():
    loaded = loaded_modules("import pastas_projects.flows")
    assert "arcticdb" not in loaded
    assert "pastas" not in loaded  # the flow's process orchestrates; workers solve


def test_status_and_ingest_do_not_load_prefect(tmp_path):
    data = ROOT / "pastas_projects" / "data"
    store = f"lmdb://{tmp_path / 'store'}"
    code = f"""
from typer.testing import CliRunner
from pastas_projects.cli import app
runner = CliRunner()
for args in (["ingest", {str(data / "B58C0698001.csv")!r}, "--store", {store!r}],
             ["status", "--store", {store!r}]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
"""
    loaded = loaded_modules(code)
    assert "arcticdb" in loaded  # the commands did run on the store
    assert "prefect" not in loaded and "distributed" not in loaded
    assert "pastas" not in loaded and "numba" not in loaded  # reading records needs neither
