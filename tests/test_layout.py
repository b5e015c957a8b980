"""The house: one concept per module, data flowing one way, a command line that starts light.

The import graph is read from the source (every ``import``, also those inside functions), so a
lazy import of a later stage is caught as well as a module-level one.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "musiccluster"

#: Stage of every top-level module or package, in the order data flows. A module may import its own
#: unit and units of an earlier stage; same-stage units only as listed in SAME_STAGE.
STAGES: dict[str, int] = {
    "__init__": 0, "_constants": 0, "errors": 0, "params": 0, "cache": 0, "threads": 0, "seeds": 0,
    "paper": 0, "versions": 0, "groups": 0, "userfiles": 0, "style": 0,
    "synth": 1, "data": 1,            # corpus
    "features": 2,                    # segments -> features
    "dataset": 3,                     # params.data_dir -> a FeatureSet
    "models": 4,                      # embeddings
    "clustering": 5,                  # clusters
    "metrics": 6,                     # metrics
    "experiment": 7,                  # the paper's protocol
    "evaluation": 8, "organize": 8,   # findings; the user's library
    "book": 9,                        # chapters
    "cli": 10, "commands": 10, "__main__": 10,
}
#: Allowed imports between different units of one stage.
SAME_STAGE = {("data", "synth"), ("cli", "commands"), ("commands", "cli"), ("__main__", "cli")}
#: Basic units everything may use.
BASE = {"__init__", "_constants", "errors", "params", "cache", "threads", "seeds", "paper", "versions", "groups", "userfiles",
        "style"}
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80
#: A longer function says why in its docstring with this phrase.
LONG_FUNCTION_REASON = "longer than 80 lines because"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(["musiccluster", *parts])] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """musiccluster modules imported anywhere in one module (``from pkg import submodule`` too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_unit_has_a_stage(graph):
    assert sorted({_unit(m) for m in graph} - set(STAGES)) == []


def test_data_flows_one_way(graph):
    """No module of an earlier stage imports a later one (e.g. features never imports evaluation)."""
    bad = []
    for module, targets in graph.items():
        a = _unit(module)
        for target in targets:
            b = _unit(target)
            if a == b or b in BASE:
                continue
            if STAGES[b] > STAGES[a] or (STAGES[b] == STAGES[a] and (a, b) not in SAME_STAGE):
                bad.append(f"{module} (stage {STAGES[a]}) imports {target} (stage {STAGES[b]})")
    assert bad == []


def test_the_checker_sees_a_backwards_import(tmp_path):
    """The rule above is not vacuous: an import of a later stage, even inside a function, is found."""
    fake = tmp_path / "extract.py"
    fake.write_text("def f():\n    from ..evaluation import evaluate\n")
    modules = {**_modules(), "musiccluster.features.extract": fake}
    assert "musiccluster.evaluation" in _imports("musiccluster.features.extract", fake, modules)


def test_no_import_cycle(graph):
    sorter = graphlib.TopologicalSorter(graph)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_modules_and_functions_stay_small():
    too_long = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(SRC)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{rel}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                doc = (ast.get_docstring(node) or "").lower()
                if n > MAX_FUNCTION_LINES and LONG_FUNCTION_REASON not in " ".join(doc.split()):
                    too_long.append(f"{rel}:{node.lineno} {node.name}: {n} lines")
    assert too_long == []


HEAVY = ("torch", "sklearn", "librosa", "scipy", "pandas", "matplotlib", "numpy", "joblib")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_building_the_parser_imports_nothing_heavy():
    """``musiccluster --help`` and every ``COMMAND --help`` need no numerical library (issue #12: <= 0.4 s)."""
    from musiccluster.cli import COMMANDS

    for argv in [["--help"], *[[c, "--help"] for c in COMMANDS]]:
        loaded = _modules_after(
            "from musiccluster.cli import build_parser\n"
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            f"    build_parser().parse_args({argv!r})")
        assert sorted(m for m in HEAVY if m in loaded) == [], argv


def test_feature_extraction_does_not_import_torch(audio_dir, tmp_path):
    """``musiccluster features`` never trains, so it never pays torch's import."""
    out = tmp_path / "f.csv"
    loaded = _modules_after(
        "from musiccluster.cli import main\n"
        f"assert main(['features', {str(audio_dir)!r}, '--segments', '2', '--jobs', '1', '--quiet',"
        f" '--out', {str(out)!r}]) == 0")
    assert out.exists()
    assert "librosa" in loaded and "torch" not in loaded
