"""Plans: read the server's state, decide what to change (a list of steps a dry run prints), and apply them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..function.routes import parse_routes
from .client import Client, get_function, get_function_valves, get_model, list_model_ids
from .errors import InstallError
from .source import FunctionSource

MODEL_ID = "auto"
MODEL_NAME = "Auto"
MODEL_DESCRIPTION = "Picks the code, chat or vision model for each message (owui-router-filter)."
# Written into the workspace model's meta so `uninstall` knows the model is ours to delete.
MARKER_KEY = "owui_router"
ALIAS_VALVES = ("code_model", "chat_model", "vision_model")
PUBLIC_READ = [{"principal_type": "user", "principal_id": "*", "permission": "read"}]


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
    ours = existing is not None and is_our_function(existing, src)
    stored = get_function_valves(client, fid) if ours and not reset_valves else {}
    _plan_function(plan, existing, ours, src, fid, force)
    effective = _plan_valves(plan, src, fid, stored, new_valves, reset=reset_valves and ours)
    _check_aliases(plan, client, effective, share_aliases)
    _plan_switches(plan, existing if ours else None, fid, make_global)
    if with_model:
        _plan_model(plan, client, fid, effective.get("chat_model"))
    _note_routing(plan, effective, make_global, with_model)
    return plan, effective


def _plan_function(plan: Plan, existing: dict | None, ours: bool, src: FunctionSource, fid: str, force: bool) -> None:
    """Create the function, update it, or (--force) replace another function that holds its id."""
    body = {
        "id": fid,
        "name": src.name,
        "content": src.content,
        "meta": {"description": src.description, "manifest": src.manifest},
    }
    create = (f"create function {fid!r} ({src.name}) from {src.path}", "POST", "/api/v1/functions/create", body)
    if existing is None:
        plan.add(*create)
    elif not ours:
        what = f"a {existing.get('type')} function" if existing.get("type") != "filter" else "another filter"
        if not force:
            raise InstallError(
                f"function id {fid!r} is already used by {what} ({existing.get('name')!r}); "
                f"choose another --id or take it over with --force"
            )
        plan.add(f"delete {what} {existing.get('name')!r} that holds id {fid!r} (--force)",
                 "DELETE", f"/api/v1/functions/id/{fid}/delete")
        plan.add(*create)
    elif (
        existing.get("content") == src.content
        and existing.get("name") == src.name
        and (existing.get("meta") or {}).get("description") == src.description
    ):
        plan.add(f"function {fid!r} is up to date")
    else:
        plan.add(f"update function {fid!r} from {src.path}", "POST", f"/api/v1/functions/id/{fid}/update", body)


def _plan_valves(plan: Plan, src: FunctionSource, fid: str, stored: dict, new_valves: dict, reset: bool) -> dict:
    """What is stored (only keys someone set; unknown ones are kept, as Open WebUI does), with the new
    ones on top. Returns the effective valves: the defaults with the wanted ones applied."""
    wanted = {**stored, **new_valves}
    if reset:
        plan.add("reset valves to the defaults" + (f" plus {sorted(new_valves)}" if new_valves else ""),
                 "POST", f"/api/v1/functions/id/{fid}/valves/update", wanted)
    elif wanted != stored:
        changed = sorted(k for k in wanted if stored.get(k, object()) != wanted[k])
        plan.add(f"set valves {', '.join(f'{k}={wanted[k]!r}' for k in changed)}",
                 "POST", f"/api/v1/functions/id/{fid}/valves/update", wanted)
    elif stored:
        plan.add(f"keep the stored valves ({', '.join(sorted(stored))})")
    return {**src.defaults(), **{k: v for k, v in wanted.items() if k in src.properties}}


def _check_aliases(plan: Plan, client: Client, effective: dict, share_aliases: bool) -> None:
    """Every alias the valves name must be a model Open WebUI knows, else requests routed there fail
    with "Model not found". Non-admin users may only use models they have read access to, and Open
    WebUI checks the model the filter routes to as well: a connection model with no access entry is
    admin-only, so every routed request of a regular user would fail with "Model not found"."""
    ids = list_model_ids(client)
    targets = routed_models(effective)
    for problem in parse_routes(str(effective.get("routes") or "")).problems:
        plan.notes.append(f"valve routes: {problem}; the router skips that line")
    missing = [(where, model) for where, model in targets if model not in ids]
    if missing:
        shown = ", ".join(i for i in ids if i != MODEL_ID)[:300] or "none"
        raise InstallError(
            f"Open WebUI does not list the model(s) {', '.join(f'{w}={m!r}' for w, m in missing)}; routing there "
            f"would fail with 'Model not found' (models it lists: {shown}); check the LiteLLM connection or set the valves"
            + ("; gpt-reasoning is served only with litellm_config.reasoning.yaml (LITELLM_CONFIG in .env)"
               if any(model == "gpt-reasoning" for _, model in missing) else ""),
            retry=True,
        )
    for alias in dict.fromkeys(model for _, model in targets):
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


def routed_models(effective: dict) -> list[tuple[str, str]]:
    """(where, model) for every model the valves can route to: the three aliases, the long-context
    model and the model of each admin route ("routes[math]")."""
    found = [(k, str(effective.get(k))) for k in (*ALIAS_VALVES, "long_context_model") if effective.get(k)]
    for route in parse_routes(str(effective.get("routes") or "")).routes:
        found.append((f"routes[{route.name}]", route.model))
    return found


def _plan_switches(plan: Plan, current: dict | None, fid: str, make_global: bool) -> None:
    """Switch the function on and set it global or not. The toggles FLIP the state: `current` is the
    function as stored now (None: it is (re)created, so off and not global)."""
    is_active = bool(current and current.get("is_active"))
    is_global = bool(current and current.get("is_global"))
    if not is_active:
        plan.add(f"turn function {fid!r} on", "POST", f"/api/v1/functions/id/{fid}/toggle")
    else:
        plan.add(f"function {fid!r} is on")
    if is_global != make_global:
        plan.add(f"make function {fid!r} {'global (every model)' if make_global else 'not global'}",
                 "POST", f"/api/v1/functions/id/{fid}/toggle/global")
    else:
        plan.add(f"function {fid!r} is {'global' if is_global else 'not global'}")


def _plan_model(plan: Plan, client: Client, fid: str, base: str | None) -> None:
    """The workspace model "Auto" (id `auto`) with the filter attached, based on the chat model."""
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
        return
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


def _note_routing(plan: Plan, effective: dict, make_global: bool, with_model: bool) -> None:
    """Warn when the valves would leave the requests the admin expects unrouted."""
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

