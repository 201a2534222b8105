"""The single-file function: fresh, self-contained, and loadable the way Open WebUI loads it."""

import ast
import asyncio
import json
import os
import pathlib
import subprocess
import sys
import types

import pytest

from owui_router_filter.tools.build import build_source

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUNCTION = ROOT / "functions" / "router_filter.py"


def test_committed_function_equals_a_fresh_build():
    assert FUNCTION.read_text(encoding="utf-8") == build_source(), "functions/router_filter.py is stale: run 'owui-router build'"


def test_function_is_self_contained():
    source = FUNCTION.read_text(encoding="utf-8")
    assert source.splitlines()[0] == '"""'
    tree = ast.parse(source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import left in the generated file"
            imported.add(node.module.split(".")[0])
    allowed = set(sys.stdlib_module_names) | {"pydantic"}
    assert imported <= allowed, imported - allowed
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert "Filter" in classes
    assert not {"Pipe", "Action", "Event"} & set(classes)
    assert "requirements:" not in source.split('"""')[1]


def load_plain():
    module = types.ModuleType("router_filter_plain")
    exec(compile(FUNCTION.read_text(encoding="utf-8"), str(FUNCTION), "exec"), module.__dict__)
    return module


def test_generated_filter_routes_like_the_package():
    module = load_plain()
    flt = module.Filter()
    assert isinstance(flt.valves, flt.Valves)
    fields = list(flt.Valves.model_fields)
    assert fields[0] == "priority"
    for name in ("enabled", "code_model", "chat_model", "vision_model", "route_from_models", "override_prefix", "threshold", "history_depth", "show_status", "debug"):
        assert name in fields
    for name, info in flt.Valves.model_fields.items():
        assert info.description, f"valve {name} has no description"
        assert info.annotation in (int, float, str, bool), f"valve {name} is not editable in the admin form"
    for name, info in flt.UserValves.model_fields.items():
        assert info.description and info.annotation is bool
    body = {"model": "auto", "messages": [{"role": "user", "content": "Crie uma função em Python"}]}
    assert asyncio.run(flt.inlet(body))["model"] == "gpt-code"


LOADER = r'''
import asyncio, inspect, json, sys
from open_webui.utils.plugin import extract_frontmatter, load_function_module_by_id
from open_webui.utils.filter import get_filter_params, run_filter_handler

content = open(sys.argv[1], encoding="utf-8").read()
stored_valves = json.loads(sys.argv[2])

async def main():
    instance, kind, frontmatter, module = await load_function_module_by_id("router_filter", content=content)
    module = instance  # Open WebUI keeps the instance as the "function module"
    module.valves = module.Valves(**stored_valves)   # how utils/filter.py applies stored valves
    events = []
    async def emitter(event):
        events.append(event)
    results = {}
    for name, text, user_valves in [
        ("code", "Write a Python function that merges two sorted lists", {}),
        ("chat", "Resuma a história de Portugal em três frases", {}),
        ("optout", "Write a Python function", {"enabled": False}),
    ]:
        body = {"model": "auto", "messages": [{"role": "user", "content": text}], "stream": False}
        handler = module.inlet
        sig = inspect.signature(handler)
        extra = {"__event_emitter__": emitter, "__user__": {"id": "u1", "role": "user"}, "__model__": {"id": "auto"},
                 "__metadata__": {"chat_id": "c1"}, "__request__": None}
        params = get_filter_params(sig, "router_filter", "inlet", body, extra)
        params["__user__"]["valves"] = module.UserValves(**user_valves)
        out = await run_filter_handler(handler, params)
        results[name] = out["model"]
    print(json.dumps({"kind": kind, "frontmatter": frontmatter, "results": results, "events": events,
                      "priority": getattr(module.valves, "priority", None),
                      "parsed_again": extract_frontmatter(content) == frontmatter}))

asyncio.run(main())
'''


def test_loads_with_open_webuis_own_loader(tmp_path):
    venvs = pathlib.Path(os.environ.get("OWUI_ROUTER_VENVS", ROOT / ".venvs"))
    python = venvs / "openwebui" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run scripts/setup-test-env.sh openwebui")
    env = dict(os.environ, DATA_DIR=str(tmp_path), WEBUI_SECRET_KEY="test-secret", OFFLINE_MODE="true",
               ENABLE_OLLAMA_API="false", RAG_EMBEDDING_ENGINE="openai", HF_HUB_OFFLINE="1")
    script = tmp_path / "load.py"
    script.write_text(LOADER)
    stored = {"priority": 3, "code_model": "coder-from-db", "threshold": "3"}
    proc = subprocess.run([str(python), str(script), str(FUNCTION), json.dumps(stored)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["kind"] == "filter"
    assert result["frontmatter"]["title"] == "Auto Model Router"
    assert {"version", "description", "licence", "required_open_webui_version", "author"} <= set(result["frontmatter"])
    assert "requirements" not in result["frontmatter"]
    assert result["parsed_again"] is True
    assert result["priority"] == 3
    assert result["results"] == {"code": "coder-from-db", "chat": "gpt-chat", "optout": "auto"}
    assert [e["type"] for e in result["events"]] == ["status", "status"]
    assert result["events"][0]["data"]["description"].startswith("coder-from-db: ")
