"""The function file on the admin's machine: its frontmatter, its Valves spec (loaded the way Open WebUI
loads it), and valves given by the user (--valves FILE.json, --set key=value) typed by that spec."""
from __future__ import annotations

import json
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InstallError


def repo_root() -> Path:
    """<repo> when running from a clone or an editable install (src/owui_router_filter/openwebui/..)."""
    return Path(__file__).resolve().parents[3]


def default_function_file() -> Path:
    return repo_root() / "functions" / "router_filter.py"



def parse_frontmatter(content: str) -> dict[str, str]:
    """Same rules as Open WebUI's `extract_frontmatter`: first line exactly `\"\"\"`, then
    `key: value` lines until the closing quotes."""
    lines = content.splitlines()
    if not lines or lines[0].strip() != '"""':
        return {}
    pattern = re.compile(r"^\s*([a-z_]+):\s*(.*)\s*$", re.IGNORECASE)
    out: dict[str, str] = {}
    for line in lines[1:]:
        if '"""' in line:
            break
        m = pattern.match(line)
        if m:
            out[m.group(1).strip()] = m.group(2).strip()
    return out


@dataclass
class FunctionSource:
    path: Path
    content: str
    manifest: dict[str, str]
    name: str
    description: str
    valves_cls: Any
    schema: dict

    @property
    def properties(self) -> dict[str, dict]:
        return self.schema.get("properties", {}) or {}

    def defaults(self) -> dict[str, Any]:
        return self.valves_cls().model_dump()


def load_function_source(path: Path) -> FunctionSource:
    """Read the file and execute it the way Open WebUI does, to get its Valves spec.

    The router must run on pydantic + stdlib, so loading it here needs nothing else."""
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InstallError(f"cannot read function file {path}: {exc.strerror or exc}")
    manifest = parse_frontmatter(content)
    if manifest.get("requirements", "").strip():
        raise InstallError(
            f"{path} declares requirements ({manifest['requirements']}); the router must run on pydantic + stdlib"
        )
    # Like Open WebUI's loader: a fresh module registered in sys.modules (dataclasses and
    # pydantic look their module up there).
    name = f"owui_router_install_probe_{abs(hash((str(path), content)))}"
    module = types.ModuleType(name)
    module.__dict__["__file__"] = str(path)
    sys.modules[name] = module
    try:
        exec(compile(content, str(path), "exec"), module.__dict__)
    except Exception as exc:  # the same error Open WebUI would hit at create time
        raise InstallError(f"cannot load {path}: {type(exc).__name__}: {exc}")
    # Open WebUI instantiates the first of Pipe, Filter, Action, Event it finds.
    for kind in ("Pipe", "Filter", "Action", "Event"):
        if hasattr(module, kind):
            break
    else:
        kind = None
    if kind != "Filter":
        raise InstallError(f"{path} must define a Filter class (found {kind or 'no function class'})")
    valves_cls = getattr(module.Filter, "Valves", None) or getattr(module, "Valves", None)
    if valves_cls is None or not hasattr(valves_cls, "model_json_schema"):
        raise InstallError(f"{path}: Filter has no pydantic Valves class")
    try:
        schema = valves_cls.model_json_schema()
        valves_cls()
    except Exception as exc:
        raise InstallError(f"{path}: Valves cannot be built with defaults: {exc}")
    name = manifest.get("title") or "Router Filter"
    description = manifest.get("description") or "Routes each request to the code, chat or vision model."
    return FunctionSource(path, content, manifest, name, description, valves_cls, schema)



_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _spec_types(prop: dict) -> list[str]:
    if "type" in prop:
        t = prop["type"]
        return list(t) if isinstance(t, list) else [t]
    types_: list[str] = []
    for sub in prop.get("anyOf", []) + prop.get("oneOf", []):
        types_ += _spec_types(sub)
    if "enum" in prop and not types_:
        types_.append("string")
    return types_ or ["string"]


def coerce_text(key: str, text: str, prop: dict) -> Any:
    """A `--set key=value` text to the type the Valves spec declares."""
    kinds = _spec_types(prop)
    low = text.strip().lower()
    if "null" in kinds and low in ("null", "none"):
        return None
    for kind in kinds:
        if kind == "boolean":
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
        elif kind == "integer":
            try:
                return int(text.strip())
            except ValueError:
                pass
        elif kind == "number":
            try:
                return float(text.strip())
            except ValueError:
                pass
        elif kind == "string":
            return text
    raise InstallError(f"valve {key}: {text!r} is not a valid {' or '.join(k for k in kinds if k != 'null')}")


def check_json_value(key: str, value: Any, prop: dict) -> Any:
    kinds = _spec_types(prop)
    ok = {
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "null": lambda v: v is None,
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if any(ok.get(k, lambda v: False)(value) for k in kinds):
        return value
    raise InstallError(f"valve {key}: {json.dumps(value)} is not a valid {' or '.join(kinds)}")


def collect_valves(src: FunctionSource, valves_file: str | None, pairs: list[str]) -> dict[str, Any]:
    props = src.properties
    known = ", ".join(sorted(props))
    out: dict[str, Any] = {}
    if valves_file:
        try:
            data = json.loads(Path(valves_file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InstallError(f"cannot read valves file {valves_file}: {exc.strerror or exc}")
        except json.JSONDecodeError as exc:
            raise InstallError(f"valves file {valves_file} is not valid JSON: {exc}")
        if not isinstance(data, dict):
            raise InstallError(f"valves file {valves_file} must hold a JSON object of valve names to values")
        for key, value in data.items():
            if key not in props:
                raise InstallError(f"unknown valve {key!r} in {valves_file} (known: {known})")
            out[key] = check_json_value(key, value, props[key])
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InstallError(f"--set expects key=value, got {pair!r}")
        if key not in props:
            raise InstallError(f"unknown valve {key!r} (known: {known})")
        out[key] = coerce_text(key, text, props[key])
    if out:
        try:  # constraints beyond the JSON types (ranges, validators) are the Valves class's call
            src.valves_cls(**out)
        except Exception as exc:
            errors = getattr(exc, "errors", None)
            if callable(errors):
                detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            else:
                detail = str(exc)
            raise InstallError(f"invalid valves: {detail}")
    return out

