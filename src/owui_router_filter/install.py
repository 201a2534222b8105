"""`owui-router install` / `owui-router uninstall`: put the router filter into Open WebUI.

Everything goes through Open WebUI's own REST API (checked against open-webui 0.12.4):

    GET  /api/config                               reachability, server version
    POST /api/v1/auths/signin                      email + password -> JWT (compose installer job)
    GET  /api/v1/functions/                        any signed-in user (is the key valid?)
    GET  /api/v1/functions/list                    admins only (is the key an admin's?)
    GET  /api/models                               the model ids routing can reach
    GET  /api/v1/functions/id/{id}                 "not found" answers 401
    POST /api/v1/functions/create | /id/{id}/update
    POST /api/v1/functions/id/{id}/toggle[/global] these FLIP the state: read it first
    GET  /api/v1/functions/id/{id}/valves          stored valves (only the keys someone set)
    POST /api/v1/functions/id/{id}/valves/update   replaces the stored valves
    DELETE /api/v1/functions/id/{id}/delete
    GET  /api/v1/models/model?id=auto              404 when absent
    POST /api/v1/models/create | /models/model/update | /models/model/delete

Secrets: the credential comes from OWUI_API_KEY, OWUI_API_KEY_FILE (or --api-key-file), or
OWUI_ADMIN_EMAIL + OWUI_ADMIN_PASSWORD (or OWUI_ADMIN_PASSWORD_FILE). It is never accepted on the
command line and never printed. Every error is one line on stderr and a non-zero exit code.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

PROG = "owui-router"
DEFAULT_URL = "http://localhost:3000"
DEFAULT_FUNCTION_ID = "router_filter"
MODEL_ID = "auto"
MODEL_NAME = "Auto"
MODEL_DESCRIPTION = "Picks the code, chat or vision model for each message (owui-router-filter)."
# Written into the workspace model's meta so `uninstall` knows the model is ours to delete.
MARKER_KEY = "owui_router"
ALIAS_VALVES = ("code_model", "chat_model", "vision_model")
PUBLIC_READ = [{"principal_type": "user", "principal_id": "*", "permission": "read"}]
SECRET_FLAGS = ("--api-key", "--apikey", "--key", "--token", "--password", "--secret")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class InstallError(Exception):
    """An error the user must see as one line; `code` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_ERROR, retry: bool = False):
        super().__init__(" ".join(str(message).split()))
        self.code = code
        self.retry = retry  # may go away by itself (server starting, models not listed yet): --wait retries


def repo_root() -> Path:
    """<repo> when running from a clone or an editable install (src/owui_router_filter/..)."""
    return Path(__file__).resolve().parents[2]


def default_function_file() -> Path:
    return repo_root() / "functions" / "router_filter.py"


# ---------------------------------------------------------------------------------------------
# The function file: frontmatter, local load, valves spec
# ---------------------------------------------------------------------------------------------

def parse_frontmatter(content: str) -> dict[str, str]:
    """Same rules as Open WebUI's `extract_frontmatter`: first line exactly `\"\"\"`, then
    `key: value` lines until the closing quotes."""
    import re

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


# ---------------------------------------------------------------------------------------------
# Valves given by the user: --valves FILE.json and --set key=value, typed by the Valves spec
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# HTTP client and credentials
# ---------------------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    data: Any

    @property
    def detail(self) -> str:
        if isinstance(self.data, dict) and "detail" in self.data:
            d = self.data["detail"]
            return d if isinstance(d, str) else json.dumps(d)
        return str(self.data)[:200] if self.data not in (None, "") else f"HTTP {self.status}"


class Client:
    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0, session=None):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.trust_env = False  # proxies from the environment must not see the key

    def call(self, method: str, path: str, body: Any = None, params: dict | None = None) -> Reply:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            r = self.session.request(
                method, self.url + path, json=body, params=params, headers=headers, timeout=self.timeout
            )
        except requests.exceptions.ConnectionError:
            raise InstallError(
                f"cannot reach Open WebUI at {self.url} (connection failed); check --url / OWUI_URL", retry=True
            )
        except requests.exceptions.Timeout:
            raise InstallError(f"Open WebUI at {self.url} did not answer within {self.timeout:.0f} s", retry=True)
        except requests.exceptions.RequestException as exc:
            raise InstallError(f"request to {self.url}{path} failed: {type(exc).__name__}")
        try:
            data = r.json()
        except ValueError:
            data = r.text
        return Reply(r.status_code, data)

    def ok(self, method: str, path: str, body: Any = None, params: dict | None = None, what: str = "") -> Any:
        rep = self.call(method, path, body, params)
        if rep.status >= 400:
            raise InstallError(f"{what or method + ' ' + path} failed: HTTP {rep.status}: {rep.detail}")
        return rep.data


@dataclass
class Credentials:
    kind: str  # "api_key" | "password"
    secret: str
    email: str = ""

    def __repr__(self) -> str:  # never show the secret
        return f"Credentials(kind={self.kind!r}, email={self.email!r})"


def _read_secret_file(path: str, what: str) -> str:
    try:
        value = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InstallError(f"cannot read {what} file {path}: {exc.strerror or exc}")
    if not value:
        raise InstallError(f"{what} file {path} is empty")
    return value


def resolve_credentials(env: dict, key_file: str | None) -> Credentials:
    if env.get("OWUI_API_KEY", "").strip():
        return Credentials("api_key", env["OWUI_API_KEY"].strip())
    key_file = key_file or env.get("OWUI_API_KEY_FILE", "").strip()
    if key_file:
        return Credentials("api_key", _read_secret_file(key_file, "API key"))
    email = env.get("OWUI_ADMIN_EMAIL", "").strip()
    password = env.get("OWUI_ADMIN_PASSWORD", "")
    if not password and env.get("OWUI_ADMIN_PASSWORD_FILE", "").strip():
        password = _read_secret_file(env["OWUI_ADMIN_PASSWORD_FILE"].strip(), "admin password")
    if email and password:
        return Credentials("password", password, email=email)
    raise InstallError(
        "no credentials: set OWUI_API_KEY (an admin's API key), OWUI_API_KEY_FILE, "
        "or OWUI_ADMIN_EMAIL and OWUI_ADMIN_PASSWORD",
        EXIT_USAGE,
    )


def connect(url: str, creds: Credentials, timeout: float = 30.0, session=None) -> tuple[Client, dict]:
    """Reach the server, authenticate, and prove the credential is an admin's.

    Returns the client and the server's /api/config."""
    client = Client(url, None, timeout, session)
    rep = client.call("GET", "/api/config")
    if rep.status != 200 or not isinstance(rep.data, dict) or "version" not in rep.data:
        raise InstallError(
            f"{client.url} does not look like Open WebUI (GET /api/config gave HTTP {rep.status})",
            retry=rep.status >= 500,
        )
    config = rep.data

    if creds.kind == "password":
        rep = client.call("POST", "/api/v1/auths/signin", {"email": creds.email, "password": creds.secret})
        if rep.status != 200 or not isinstance(rep.data, dict) or not rep.data.get("token"):
            raise InstallError(f"sign-in as {creds.email} failed: HTTP {rep.status}: {rep.detail}")
        if rep.data.get("role") != "admin":
            raise InstallError(
                f"{creds.email} is not an admin of Open WebUI (role {rep.data.get('role')!r}); functions need an admin"
            )
        client.token = rep.data["token"]
    else:
        client.token = creds.secret

    rep = client.call("GET", "/api/v1/functions/")
    if rep.status == 403 and "API key" in rep.detail:
        raise InstallError(
            "Open WebUI refused the API key: API keys are disabled (set ENABLE_API_KEYS=true, or enable them "
            "in Admin Settings > General) or this user may not use them"
        )
    if rep.status == 401:
        what = "API key" if creds.kind == "api_key" else "session"
        raise InstallError(f"Open WebUI rejected the {what} (HTTP 401: {rep.detail})")
    if rep.status == 403 and creds.kind == "api_key":
        raise InstallError(
            "Open WebUI does not let this API key use /api/v1/functions (API key endpoint restrictions: "
            "add /api/v1/functions, /api/v1/models and /api/models to the allowed endpoints, or use "
            "OWUI_ADMIN_EMAIL/OWUI_ADMIN_PASSWORD)"
        )
    if rep.status >= 400:
        raise InstallError(f"GET /api/v1/functions/ failed: HTTP {rep.status}: {rep.detail}")
    rep = client.call("GET", "/api/v1/functions/list")
    if rep.status in (401, 403):
        raise InstallError("the API key belongs to a user who is not an admin; installing functions needs an admin's key")
    if rep.status >= 400:
        raise InstallError(f"GET /api/v1/functions/list failed: HTTP {rep.status}: {rep.detail}")
    return client, config


# ---------------------------------------------------------------------------------------------
# Reading the server's state
# ---------------------------------------------------------------------------------------------

def get_function(client: Client, fid: str) -> dict | None:
    rep = client.call("GET", f"/api/v1/functions/id/{fid}")
    if rep.status == 200 and isinstance(rep.data, dict):
        return rep.data
    if rep.status in (401, 404):  # Open WebUI answers "not found" with 401
        return None
    raise InstallError(f"GET function {fid} failed: HTTP {rep.status}: {rep.detail}")


def get_function_valves(client: Client, fid: str) -> dict:
    data = client.ok("GET", f"/api/v1/functions/id/{fid}/valves", what=f"reading valves of {fid}")
    return dict(data or {})


def get_model(client: Client, mid: str) -> dict | None:
    rep = client.call("GET", "/api/v1/models/model", params={"id": mid})
    if rep.status == 200 and isinstance(rep.data, dict):
        return rep.data
    if rep.status in (401, 404):
        return None
    raise InstallError(f"GET model {mid} failed: HTTP {rep.status}: {rep.detail}")


def list_model_ids(client: Client) -> list[str]:
    data = client.ok("GET", "/api/models", what="listing models")
    items = data.get("data", []) if isinstance(data, dict) else data
    return [m.get("id") for m in items or [] if isinstance(m, dict) and m.get("id")]


def is_our_function(existing: dict, src: FunctionSource) -> bool:
    """An existing function counts as the router when it is a filter whose manifest title (or,
    without one, its name) matches the file being installed."""
    if existing.get("type") != "filter":
        return False
    manifest = (existing.get("meta") or {}).get("manifest") or {}
    title = src.manifest.get("title")
    if title:
        return manifest.get("title") == title
    return existing.get("name") == src.name


def _public_read(model: dict) -> bool:
    return any(
        g.get("principal_type") == "user" and g.get("principal_id") == "*" and g.get("permission") in ("read", "write")
        for g in model.get("access_grants") or []
    )


def model_is_ours(model: dict, fid: str) -> bool:
    marker = (model.get("meta") or {}).get(MARKER_KEY)
    return isinstance(marker, dict) and marker.get("function_id") == fid


# ---------------------------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------------------------

@dataclass
class Step:
    text: str
    method: str = ""
    path: str = ""
    body: Any = None
    params: dict | None = None


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, text: str, method: str = "", path: str = "", body: Any = None, params: dict | None = None):
        self.steps.append(Step(text, method, path, body, params))

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.method]


def _model_form(model: dict, **overrides) -> dict:
    """A ModelForm body from a stored model (update keeps every field we do not change)."""
    form = {
        "id": model["id"],
        "base_model_id": model.get("base_model_id"),
        "name": model.get("name") or MODEL_NAME,
        "meta": dict(model.get("meta") or {}),
        "params": dict(model.get("params") or {}),
    }
    form.update(overrides)
    return form


def plan_install(
    client: Client,
    src: FunctionSource,
    fid: str,
    new_valves: dict,
    *,
    make_global: bool,
    with_model: bool,
    force: bool,
    reset_valves: bool = False,
    share_aliases: bool = True,
) -> tuple[Plan, dict]:
    """Read the server state and decide what to change. Returns the plan and the effective valves."""
    plan = Plan()
    existing = get_function(client, fid)
    body = {
        "id": fid,
        "name": src.name,
        "content": src.content,
        "meta": {"description": src.description, "manifest": src.manifest},
    }
    stored: dict = {}
    if existing is None:
        plan.add(f"create function {fid!r} ({src.name}) from {src.path}", "POST", "/api/v1/functions/create", body)
        is_active, is_global = False, False
    else:
        if not is_our_function(existing, src):
            what = f"a {existing.get('type')} function" if existing.get("type") != "filter" else "another filter"
            if not force:
                raise InstallError(
                    f"function id {fid!r} is already used by {what} ({existing.get('name')!r}); "
                    f"choose another --id or take it over with --force"
                )
            plan.add(f"delete {what} {existing.get('name')!r} that holds id {fid!r} (--force)",
                     "DELETE", f"/api/v1/functions/id/{fid}/delete")
            plan.add(f"create function {fid!r} ({src.name}) from {src.path}", "POST", "/api/v1/functions/create", body)
            is_active, is_global = False, False
        else:
            stored = {} if reset_valves else get_function_valves(client, fid)
            same = (
                existing.get("content") == src.content
                and existing.get("name") == src.name
                and (existing.get("meta") or {}).get("description") == src.description
            )
            if same:
                plan.add(f"function {fid!r} is up to date")
            else:
                plan.add(f"update function {fid!r} from {src.path}", "POST", f"/api/v1/functions/id/{fid}/update", body)
            is_active = bool(existing.get("is_active"))
            is_global = bool(existing.get("is_global"))

    # Valves: what is stored (only keys someone set; unknown ones are kept, as Open WebUI does),
    # with the new ones on top.
    wanted = {**stored, **new_valves}
    if reset_valves and existing is not None and is_our_function(existing, src):
        plan.add("reset valves to the defaults" + (f" plus {sorted(new_valves)}" if new_valves else ""),
                 "POST", f"/api/v1/functions/id/{fid}/valves/update", wanted)
    elif wanted != stored:
        changed = sorted(k for k in wanted if stored.get(k, object()) != wanted[k])
        plan.add(f"set valves {', '.join(f'{k}={wanted[k]!r}' for k in changed)}",
                 "POST", f"/api/v1/functions/id/{fid}/valves/update", wanted)
    elif stored:
        plan.add(f"keep the stored valves ({', '.join(sorted(stored))})")
    effective = {**src.defaults(), **{k: v for k, v in wanted.items() if k in src.properties}}

    # Preflight: every alias the valves name must be a model Open WebUI knows, else requests
    # routed there fail with "Model not found".
    ids = list_model_ids(client)
    missing = [f"{k}={effective.get(k)!r}" for k in ALIAS_VALVES if effective.get(k) and effective.get(k) not in ids]
    if missing:
        shown = ", ".join(i for i in ids if i != MODEL_ID)[:300] or "none"
        raise InstallError(
            f"Open WebUI does not list the model(s) {', '.join(missing)}; routing there would fail with "
            f"'Model not found' (models it lists: {shown}); check the LiteLLM connection or set the valves",
            retry=True,
        )

    # Non-admin users may only use models they have read access to, and Open WebUI checks the
    # model the filter routes to as well: a connection model with no access entry is admin-only,
    # so every routed request of a regular user would fail with "Model not found".
    for alias in dict.fromkeys(effective.get(k) for k in ALIAS_VALVES if effective.get(k)):
        entry = get_model(client, alias)
        if entry is None:
            if share_aliases:
                plan.add(f"let all users use model {alias!r} (else routed requests of non-admins fail)",
                         "POST", "/api/v1/models/model/access/update",
                         {"id": alias, "name": alias, "access_grants": PUBLIC_READ})
            else:
                plan.notes.append(f"model {alias!r} is admin-only: non-admin users routed there get 'Model not found'")
        elif not _public_read(entry):
            plan.notes.append(
                f"model {alias!r} has access rules; users without read access get 'Model not found' when routed there"
            )

    if not is_active:
        plan.add(f"turn function {fid!r} on", "POST", f"/api/v1/functions/id/{fid}/toggle")
    else:
        plan.add(f"function {fid!r} is on")
    if is_global != make_global:
        plan.add(f"make function {fid!r} {'global (every model)' if make_global else 'not global'}",
                 "POST", f"/api/v1/functions/id/{fid}/toggle/global")
    else:
        plan.add(f"function {fid!r} is {'global' if is_global else 'not global'}")

    if with_model:
        base = effective.get("chat_model")
        model = get_model(client, MODEL_ID)
        if model is None:
            form = {
                "id": MODEL_ID,
                "base_model_id": base,
                "name": MODEL_NAME,
                "meta": {
                    "description": MODEL_DESCRIPTION,
                    "filterIds": [fid],
                    MARKER_KEY: {"function_id": fid},
                },
                "params": {},
                "access_grants": PUBLIC_READ,
                "is_active": True,
            }
            plan.add(f"create model {MODEL_ID!r} ({MODEL_NAME}, based on {base}, filter {fid!r} attached, visible to all users)",
                     "POST", "/api/v1/models/create", form)
        else:
            meta = dict(model.get("meta") or {})
            filter_ids = list(meta.get("filterIds") or [])
            changes = []
            if fid not in filter_ids:
                filter_ids.append(fid)
                changes.append(f"attach filter {fid!r}")
            if model.get("base_model_id") != base:
                changes.append(f"base model {model.get('base_model_id')} -> {base}")
            if changes:
                meta["filterIds"] = filter_ids
                plan.add(f"update model {MODEL_ID!r}: {', '.join(changes)}", "POST", "/api/v1/models/model/update",
                         _model_form(model, base_model_id=base, meta=meta))
            else:
                plan.add(f"model {MODEL_ID!r} is up to date (based on {base}, filter attached)")
            if not model.get("is_active", True):
                plan.notes.append(f"model {MODEL_ID!r} is disabled in Open WebUI; enable it in Admin Settings > Models")
    routed_from = [m.strip() for m in str(effective.get("route_from_models", "")).split(",") if m.strip()]
    if with_model and MODEL_ID not in routed_from and "*" not in routed_from:
        plan.notes.append(
            f"route_from_models={effective.get('route_from_models')!r} does not include {MODEL_ID!r}: "
            f"requests for Auto will not be routed"
        )
    if make_global and str(effective.get("route_from_models", "")).strip() not in ("*",) and not with_model:
        plan.notes.append(
            f"the filter is global but only routes requests for route_from_models={effective.get('route_from_models')!r}"
        )
    return plan, effective


def plan_uninstall(client: Client, src: FunctionSource | None, fid: str, *, keep_model: bool, force: bool) -> Plan:
    plan = Plan()
    existing = get_function(client, fid)
    if existing is None:
        plan.add(f"function {fid!r} is not installed")
    else:
        if src is not None and not is_our_function(existing, src) and not force:
            raise InstallError(
                f"function {fid!r} is not the router filter ({existing.get('type')} {existing.get('name')!r}); "
                f"refusing to delete it without --force"
            )
        plan.add(f"delete function {fid!r}", "DELETE", f"/api/v1/functions/id/{fid}/delete")
    model = get_model(client, MODEL_ID)
    if model is not None:
        meta = dict(model.get("meta") or {})
        filter_ids = list(meta.get("filterIds") or [])
        if model_is_ours(model, fid) and not keep_model:
            plan.add(f"delete model {MODEL_ID!r} (created by the installer)", "POST", "/api/v1/models/model/delete",
                     {"id": MODEL_ID})
        elif fid in filter_ids:
            meta["filterIds"] = [f for f in filter_ids if f != fid]
            if model_is_ours(model, fid):
                meta.pop(MARKER_KEY, None)
            plan.add(f"detach filter {fid!r} from model {MODEL_ID!r} (kept)", "POST", "/api/v1/models/model/update",
                     _model_form(model, meta=meta))
    return plan


def apply(client: Client, plan: Plan) -> None:
    for step in plan.changes:
        client.ok(step.method, step.path, step.body, step.params, what=step.text)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse that reports one line and never echoes values (they could be secrets)."""

    def error(self, message: str):  # noqa: D401
        raise InstallError(f"{message.splitlines()[0] if message else 'bad arguments'} (see --help)", EXIT_USAGE)


def build_parser(command: str) -> argparse.ArgumentParser:
    p = _Parser(
        prog=f"{PROG} {command}",
        description=(
            "Install the router filter into Open WebUI through its API." if command == "install"
            else "Remove the router filter (and the 'auto' model the installer created) from Open WebUI."
        ),
        epilog=(
            "Credentials (never on the command line): OWUI_API_KEY, or OWUI_API_KEY_FILE / --api-key-file, "
            "or OWUI_ADMIN_EMAIL + OWUI_ADMIN_PASSWORD (or OWUI_ADMIN_PASSWORD_FILE)."
        ),
    )
    p.add_argument("--url", default=None, help=f"Open WebUI base URL (env OWUI_URL, default {DEFAULT_URL})")
    p.add_argument("--api-key-file", default=None, help="file holding an admin's API key (sk-...)")
    p.add_argument("--id", dest="fid", default=DEFAULT_FUNCTION_ID, help="function id (default %(default)s)")
    p.add_argument("--file", default=None, help="function source (default <repo>/functions/router_filter.py)")
    p.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    p.add_argument("--force", action="store_true",
                   help="take over a function id that another function uses")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request (default %(default)s)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="keep retrying for up to SECONDS while Open WebUI is unreachable or does not list "
                        "the routed models yet (for start-up jobs; default: fail at once)")
    if command == "install":
        p.add_argument("--global", dest="make_global", action="store_true",
                       help="make the filter global (runs for every model; routes the models in route_from_models)")
        p.add_argument("--no-model", action="store_true",
                       help=f"do not create/update the workspace model {MODEL_ID!r}")
        p.add_argument("--valves", metavar="FILE.json", default=None, help="valves to set, as a JSON object")
        p.add_argument("--set", dest="pairs", metavar="KEY=VALUE", action="append", default=[],
                       help="set one valve (repeatable; typed by the Valves spec)")
        p.add_argument("--no-share-aliases", action="store_true",
                       help="do not give all users read access to the routed aliases that have no access entry")
        p.add_argument("--reset-valves", action="store_true",
                       help="drop the stored valves (back to the defaults) before applying --valves/--set")
    else:
        p.add_argument("--keep-model", action="store_true",
                       help=f"keep the workspace model {MODEL_ID!r} (only detach the filter)")
    return p


def _refuse_secret_flags(argv: list[str]) -> None:
    for a in argv:
        flag = a.split("=", 1)[0].lower()
        if flag in SECRET_FLAGS:
            raise InstallError(
                f"{flag} is not accepted: secrets never go on the command line; "
                "use OWUI_API_KEY, OWUI_API_KEY_FILE or --api-key-file",
                EXIT_USAGE,
            )


def run(argv: list[str], env: dict | None = None, out=None, session=None) -> int:
    env = dict(os.environ if env is None else env)
    out = out or sys.stdout
    if not argv or argv[0] not in ("install", "uninstall"):
        raise InstallError("expected 'install' or 'uninstall'", EXIT_USAGE)
    command, rest = argv[0], list(argv[1:])
    _refuse_secret_flags(rest)
    args = build_parser(command).parse_args(rest)
    url = args.url or env.get("OWUI_URL", "").strip() or DEFAULT_URL
    fid = args.fid.strip()
    if not fid.isidentifier() or fid != fid.lower():
        raise InstallError(f"--id {fid!r}: Open WebUI needs a lowercase Python identifier (letters, digits, _)", EXIT_USAGE)
    path = Path(args.file) if args.file else default_function_file()

    def say(line: str) -> None:
        print(line, file=out)

    def prepare():
        client, config = connect(url, creds, args.timeout, session)
        if command == "install":
            plan, effective = plan_install(
                client, src, fid, new_valves,
                make_global=args.make_global, with_model=not args.no_model, force=args.force,
                reset_valves=args.reset_valves, share_aliases=not args.no_share_aliases,
            )
        else:
            plan, effective = plan_uninstall(client, src, fid, keep_model=args.keep_model, force=args.force), {}
        return client, config, plan, effective

    if command == "install":
        src = load_function_source(path)
        new_valves = collect_valves(src, args.valves, args.pairs)
    else:
        src = load_function_source(path) if path.exists() else None
    creds = resolve_credentials(env, args.api_key_file)
    deadline = time.monotonic() + max(0.0, args.wait)
    while True:
        try:
            client, config, plan, effective = prepare()
            break
        except InstallError as exc:
            if not exc.retry or time.monotonic() + 2.0 > deadline:
                raise
            print(f"waiting: {exc}", file=out)
            time.sleep(2.0)

    head = f"Open WebUI {config.get('version', '?')} at {client.url}"
    say(f"{head}{' (dry run: nothing will change)' if args.dry_run else ''}")
    for step in plan.steps:
        say(f"  {'*' if step.method else '-'} {step.text}")
    for note in plan.notes:
        say(f"  note: {note}")
    if args.dry_run:
        say(f"{len(plan.changes)} change(s) planned")
        return EXIT_OK
    apply(client, plan)

    if command == "install":
        fn = get_function(client, fid)
        if not fn or not fn.get("is_active") or bool(fn.get("is_global")) != args.make_global:
            raise InstallError(f"function {fid!r} is not in the expected state after install")
        valves = get_function_valves(client, fid)
        extra = f", model {MODEL_ID!r}" if not args.no_model else ""
        say(f"installed {fid!r}: active, {'global' if args.make_global else 'not global'}{extra}; "
            f"routes to {effective.get('code_model')} / {effective.get('chat_model')} / "
            f"{effective.get('vision_model') or '(no vision)'}; stored valves: {json.dumps(valves, sort_keys=True)}")
    else:
        if get_function(client, fid) is not None:
            raise InstallError(f"function {fid!r} is still present after uninstall")
        say(f"uninstalled {fid!r} ({len(plan.changes)} change(s))")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point: argv[0] is 'install' or 'uninstall'. Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] and argv[0] in ("-h", "--help"):
        argv = ["install", *argv]
    command = argv[0] if argv else "install"
    try:
        return run(argv)
    except InstallError as exc:
        print(f"{PROG} {command}: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"{PROG} {command}: error: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # argparse --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
