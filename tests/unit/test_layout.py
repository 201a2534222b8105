"""The package's layout says what runs where: `function/` is what is pasted (stdlib + pydantic only, all of
it inlined), `openwebui/` talks to Open WebUI, `tools/` is the command line; no module imports in a circle."""

import ast
import pathlib

import pytest

from owui_router_filter.tools import build

PACKAGE = pathlib.Path(build.__file__).resolve().parents[1]


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path) -> set:
    """The package modules `path` imports, at load time or lazily inside a function."""
    name = _module_name(path)
    package = name if path.stem == "__init__" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.add(full if (PACKAGE.parent / (full.replace(".", "/") + ".py")).exists() else target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("owui_router_filter"):
            out.add(node.module)
    return out


def test_no_import_cycles():
    graph = {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}
    state = {}

    def visit(module, trail):
        if state.get(module) == "done":
            return
        assert state.get(module) != "open", f"import cycle: {' -> '.join(trail + [module])}"
        state[module] = "open"
        for dep in graph.get(module, ()):
            if dep != module and dep in graph:
                visit(dep, trail + [module])
        state[module] = "done"

    for module in graph:
        visit(module, [])


def test_the_pasted_part_imports_only_the_stdlib_pydantic_and_itself():
    for path in (PACKAGE / "function").glob("*.py"):
        for dep in _imports(path):
            assert dep.startswith("owui_router_filter.function"), f"{path.name} imports {dep}"


def test_the_builder_takes_every_module_of_the_pasted_part():
    modules = {p.stem for p in (PACKAGE / "function").glob("*.py")} - {"__init__"}
    assert set(build.module_names()) == modules
    source = build.build_source()
    for name in modules:
        assert f"# {name}.py: " in source


def test_the_builder_refuses_a_module_that_needs_a_third_party_package(tmp_path, monkeypatch):
    for path in (PACKAGE / "function").glob("*.py"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "extra.py").write_text('"""An extra module."""\nimport requests\n', encoding="utf-8")
    monkeypatch.setattr(build, "PACKAGE_DIR", tmp_path)
    with pytest.raises(ValueError, match="requests"):
        build.build_source()
