"""Unit tests of the installer's own logic (no server). What it does against the real Open WebUI
is proven in tests/e2e/test_install_e2e.py."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from owui_router_filter.openwebui import client as owc
from owui_router_filter.openwebui import errors, source
from owui_router_filter.openwebui import plan as planning
from owui_router_filter.tools import install as inst

REPO = Path(__file__).resolve().parents[1]
MINI = '''"""
title: Mini Router
description: a small filter for installer tests
requirements:
"""
from pydantic import BaseModel, Field


class Filter:
    class Valves(BaseModel):
        priority: int = 0
        enabled: bool = True
        code_model: str = "gpt-code"
        chat_model: str = "gpt-chat"
        vision_model: str = "gpt-vision"
        threshold: float = Field(default=2.0, ge=0)
        note: str | None = None

    def __init__(self):
        self.valves = self.Valves()

    async def inlet(self, body):
        return body
'''


@pytest.fixture
def mini(tmp_path):
    p = tmp_path / "mini.py"
    p.write_text(MINI)
    return source.load_function_source(p)


# --------------------------------------------------------------------------- the function file
def test_frontmatter_follows_open_webuis_rules():
    assert source.parse_frontmatter(MINI) == {
        "title": "Mini Router", "description": "a small filter for installer tests", "requirements": ""}
    assert source.parse_frontmatter("# no docstring first\n" + MINI) == {}
    assert source.parse_frontmatter('"""\ntitle: A\n"""\nversion: 2\n') == {"title": "A"}


def test_the_repositorys_function_loads_with_a_valves_spec():
    src = source.load_function_source(REPO / "functions" / "router_filter.py")
    assert src.manifest.get("title")
    for key in ("code_model", "chat_model", "vision_model", "route_from_models", "threshold", "enabled"):
        assert key in src.properties, key
    assert src.defaults()["chat_model"] == "gpt-chat"


@pytest.mark.parametrize("content, message", [
    ("class Pipe:\n    pass\n", "must define a Filter class (found Pipe)"),
    ("x = 1\n", "found no function class"),
    ("import no_such_module_xyz\n", "ModuleNotFoundError"),
    ('"""\nrequirements: numpy\n"""\nclass Filter: pass\n', "declares requirements"),
    ("class Filter:\n    pass\n", "no pydantic Valves"),
])
def test_bad_function_files_give_one_clear_error(tmp_path, content, message):
    p = tmp_path / "f.py"
    p.write_text(content)
    with pytest.raises(errors.InstallError) as e:
        source.load_function_source(p)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


# --------------------------------------------------------------------------- valves input
def test_set_pairs_are_typed_by_the_spec(mini):
    got = source.collect_valves(mini, None, ["threshold=3", "enabled=off", "priority=-2", "code_model=my=coder",
                                           "note=null"])
    assert got == {"threshold": 3.0, "enabled": False, "priority": -2, "code_model": "my=coder", "note": None}
    assert isinstance(got["threshold"], float)


@pytest.mark.parametrize("pairs, message", [
    (["threshold=lots"], "valve threshold: 'lots' is not a valid number"),
    (["priority=1.5"], "valve priority: '1.5' is not a valid integer"),
    (["enabled=perhaps"], "valve enabled: 'perhaps' is not a valid boolean"),
    (["nope=1"], "unknown valve 'nope'"),
    (["threshold"], "--set expects key=value"),
    (["threshold=-1"], "invalid valves: threshold"),
])
def test_bad_set_pairs(mini, pairs, message):
    with pytest.raises(errors.InstallError) as e:
        source.collect_valves(mini, None, pairs)
    assert message in str(e.value)


def test_valves_file_is_checked_and_set_pairs_win(mini, tmp_path):
    f = tmp_path / "v.json"
    f.write_text(json.dumps({"threshold": 1, "enabled": False}))
    assert source.collect_valves(mini, str(f), ["threshold=5"]) == {"threshold": 5.0, "enabled": False}
    f.write_text(json.dumps({"enabled": "no"}))
    with pytest.raises(errors.InstallError, match="valve enabled"):
        source.collect_valves(mini, str(f), [])
    f.write_text(json.dumps({"priority": True}))  # a bool is not an int here
    with pytest.raises(errors.InstallError, match="valve priority"):
        source.collect_valves(mini, str(f), [])
    f.write_text("[1, 2]")
    with pytest.raises(errors.InstallError, match="JSON object"):
        source.collect_valves(mini, str(f), [])
    f.write_text("{oops")
    with pytest.raises(errors.InstallError, match="not valid JSON"):
        source.collect_valves(mini, str(f), [])


# --------------------------------------------------------------------------- credentials
def test_credentials_come_from_env_or_files_in_order(tmp_path):
    key_file = tmp_path / "k"
    key_file.write_text("sk-from-file\n")
    pw_file = tmp_path / "p"
    pw_file.write_text("pw-from-file\n")
    assert owc.resolve_credentials({"OWUI_API_KEY": "sk-env", "OWUI_API_KEY_FILE": str(key_file)}, None).secret == "sk-env"
    assert owc.resolve_credentials({"OWUI_API_KEY_FILE": str(key_file)}, None).secret == "sk-from-file"
    assert owc.resolve_credentials({}, str(key_file)).secret == "sk-from-file"
    c = owc.resolve_credentials({"OWUI_ADMIN_EMAIL": "a@b.c", "OWUI_ADMIN_PASSWORD_FILE": str(pw_file)}, None)
    assert (c.kind, c.email, c.secret) == ("password", "a@b.c", "pw-from-file")
    assert "pw-from-file" not in repr(c)
    with pytest.raises(errors.InstallError, match="no credentials"):
        owc.resolve_credentials({"OWUI_ADMIN_EMAIL": "a@b.c"}, None)
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(errors.InstallError, match="is empty"):
        owc.resolve_credentials({}, str(empty))


@pytest.mark.parametrize("argv", [
    ["install", "--api-key", "sk-secret-value"],
    ["install", "--token=sk-secret-value"],
    ["uninstall", "--password", "sk-secret-value"],
])
def test_secrets_on_the_command_line_are_refused_without_echo(argv, capsys):
    assert inst.main(argv) == errors.EXIT_USAGE
    out, err = capsys.readouterr()
    assert "sk-secret-value" not in out + err
    assert len(err.strip().splitlines()) == 1 and "never go on the command line" in err


def test_unknown_arguments_give_one_line(capsys):
    assert inst.main(["install", "--nope", "value"]) == errors.EXIT_USAGE
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "unrecognized arguments" in err


def test_help_exits_zero(capsys):
    assert inst.main(["install", "--help"]) == 0
    assert "--global" in capsys.readouterr().out


# --------------------------------------------------------------------------- planning
class FakeServer(owc.Client):
    """Answers the few API calls the planner makes from a dict; records the rest."""

    def __init__(self, functions=None, valves=None, models=None, listed=("gpt-code", "gpt-chat", "gpt-vision")):
        super().__init__("http://fake")
        self.functions = functions or {}
        self.valves = valves or {}
        self.models = models or {}
        self.listed = list(listed)
        self.calls = []

    def call(self, method, path, body=None, params=None):
        self.calls.append((method, path))
        if path.startswith("/api/v1/functions/id/"):
            fid = path.split("/")[5]
            if path.endswith("/valves"):
                return owc.Reply(200, self.valves.get(fid))
            f = self.functions.get(fid)
            return owc.Reply(200, f) if f else owc.Reply(401, {"detail": "not found"})
        if path == "/api/v1/models/model":
            m = self.models.get(params["id"])
            return owc.Reply(200, m) if m else owc.Reply(404, {"detail": "not found"})
        if path == "/api/models":
            return owc.Reply(200, {"data": [{"id": i} for i in self.listed]})
        raise AssertionError(f"unexpected call {method} {path}")


def _existing(src, **kw):
    f = {"id": "router_filter", "type": "filter", "name": src.name, "content": src.content,
         "meta": {"description": src.description, "manifest": src.manifest}, "is_active": True, "is_global": False}
    f.update(kw)
    return f


def _public(mid):
    return {"id": mid, "access_grants": [{"principal_type": "user", "principal_id": "*", "permission": "read"}]}


def _plan(server, src, new=None, **kw):
    opts = dict(make_global=False, with_model=True, force=False)
    opts.update(kw)
    return planning.plan_install(server, src, "router_filter", new or {}, **opts)


def test_fresh_server_plan(mini):
    plan, eff = _plan(FakeServer(), mini, {"threshold": 1.0})
    paths = [s.path for s in plan.changes]
    assert paths[0] == "/api/v1/functions/create"
    assert "/api/v1/functions/id/router_filter/valves/update" in paths
    assert "/api/v1/functions/id/router_filter/toggle" in paths
    assert "/api/v1/functions/id/router_filter/toggle/global" not in paths
    create_model = [s for s in plan.changes if s.path == "/api/v1/models/create"][0].body
    assert create_model["base_model_id"] == "gpt-chat" and create_model["meta"]["filterIds"] == ["router_filter"]
    assert sum(s.path == "/api/v1/models/model/access/update" for s in plan.changes) == 3
    assert eff["threshold"] == 1.0 and eff["code_model"] == "gpt-code"


def test_up_to_date_server_plans_no_change(mini):
    models = {m: _public(m) for m in ("gpt-code", "gpt-chat", "gpt-vision")}
    models["auto"] = {"id": "auto", "base_model_id": "gpt-chat", "meta": {"filterIds": ["router_filter"]}}
    server = FakeServer({"router_filter": _existing(mini)}, {"router_filter": {"threshold": 3.0}}, models)
    plan, eff = _plan(server, mini)
    assert plan.changes == []
    assert eff["threshold"] == 3.0  # the stored valve is kept
    # new valves merge over the stored ones
    plan, eff = _plan(server, mini, {"enabled": False})
    step = [s for s in plan.changes if s.path.endswith("/valves/update")][0]
    assert step.body == {"threshold": 3.0, "enabled": False}


def test_toggles_flip_only_when_the_state_differs(mini):
    server = FakeServer({"router_filter": _existing(mini, is_active=False, is_global=True)})
    plan, _ = _plan(server, mini, make_global=True, with_model=False, share_aliases=False)
    paths = [s.path for s in plan.changes]
    assert paths == ["/api/v1/functions/id/router_filter/toggle"]
    plan, _ = _plan(server, mini, make_global=False, with_model=False, share_aliases=False)
    assert [s.path for s in plan.changes][-1] == "/api/v1/functions/id/router_filter/toggle/global"


def test_existing_auto_model_keeps_other_filters_and_fields(mini):
    auto = {"id": "auto", "name": "Mine", "base_model_id": "gpt-backup", "params": {"temperature": 0.2},
            "meta": {"filterIds": ["other"], "description": "d"}}
    server = FakeServer({"router_filter": _existing(mini)}, models={"auto": auto})
    plan, _ = _plan(server, mini, share_aliases=False)
    step = [s for s in plan.changes if s.path == "/api/v1/models/model/update"][0]
    assert step.body["meta"]["filterIds"] == ["other", "router_filter"]
    assert step.body["base_model_id"] == "gpt-chat"
    assert step.body["name"] == "Mine" and step.body["params"] == {"temperature": 0.2}


def test_missing_alias_is_an_error_before_any_change(mini):
    server = FakeServer(listed=["gpt-chat", "gpt-vision"])
    with pytest.raises(errors.InstallError, match="code_model='gpt-code'.*Model not found"):
        _plan(server, mini)
    assert all(m == "GET" for m, _ in server.calls)
    # an empty vision model needs no alias
    server = FakeServer(listed=["gpt-chat", "gpt-code"])
    _plan(server, mini, {"vision_model": ""}, share_aliases=False)


def test_an_id_used_by_another_function_needs_force(mini):
    server = FakeServer({"router_filter": _existing(mini, type="pipe", name="Other")})
    with pytest.raises(errors.InstallError, match="already used by a pipe function"):
        _plan(server, mini)
    plan, _ = _plan(server, mini, force=True, share_aliases=False)
    assert [s.method for s in plan.changes][:2] == ["DELETE", "POST"]
    other_filter = _existing(mini, meta={"manifest": {"title": "Someone's filter"}})
    with pytest.raises(errors.InstallError, match="another filter"):
        _plan(FakeServer({"router_filter": other_filter}), mini)


def test_uninstall_deletes_only_what_the_installer_made(mini):
    ours = {"id": "auto", "meta": {"filterIds": ["router_filter"], planning.MARKER_KEY: {"function_id": "router_filter"}}}
    server = FakeServer({"router_filter": _existing(mini)}, models={"auto": ours})
    plan = planning.plan_uninstall(server, mini, "router_filter", keep_model=False, force=False)
    assert [(s.method, s.path) for s in plan.changes] == [
        ("DELETE", "/api/v1/functions/id/router_filter/delete"), ("POST", "/api/v1/models/model/delete")]
    theirs = {"id": "auto", "name": "Theirs", "meta": {"filterIds": ["x", "router_filter"]}}
    server = FakeServer({"router_filter": _existing(mini)}, models={"auto": theirs})
    plan = planning.plan_uninstall(server, mini, "router_filter", keep_model=False, force=False)
    step = plan.changes[-1]
    assert step.path == "/api/v1/models/model/update" and step.body["meta"]["filterIds"] == ["x"]
    plan = planning.plan_uninstall(FakeServer(), mini, "router_filter", keep_model=False, force=False)
    assert plan.changes == []


def test_dry_run_prints_the_plan_and_sends_nothing(mini, monkeypatch):
    server = FakeServer()
    monkeypatch.setattr(inst, "connect", lambda url, creds, timeout, session: (server, {"version": "x"}))
    out = io.StringIO()
    rc = inst.run(["install", "--dry-run", "--file", str(mini.path)], env={"OWUI_API_KEY": "sk-x"}, out=out)
    assert rc == 0
    assert "create function 'router_filter'" in out.getvalue()
    assert all(m == "GET" for m, _ in server.calls)


def test_wait_retries_only_errors_that_can_go_away(mini, monkeypatch):
    server = FakeServer()
    attempts = []

    def connect(url, creds, timeout, session):
        attempts.append(url)
        if len(attempts) < 3:
            raise errors.InstallError("cannot reach Open WebUI at x (connection failed)", retry=True)
        return server, {"version": "x"}

    monkeypatch.setattr(inst, "connect", connect)
    monkeypatch.setattr(inst.time, "sleep", lambda s: None)
    out = io.StringIO()
    argv = ["install", "--dry-run", "--wait", "60", "--file", str(mini.path)]
    assert inst.run(argv, env={"OWUI_API_KEY": "sk-x"}, out=out) == 0
    assert len(attempts) == 3 and out.getvalue().count("waiting: cannot reach") == 2
    # without --wait the first failure is final
    attempts.clear()
    with pytest.raises(errors.InstallError, match="cannot reach"):
        inst.run(argv[:2] + argv[4:], env={"OWUI_API_KEY": "sk-x"}, out=io.StringIO())
    assert len(attempts) == 1

    # an error that cannot go away by itself is not retried
    def bad_key(url, creds, timeout, session):
        attempts.append(url)
        raise errors.InstallError("Open WebUI rejected the API key")

    attempts.clear()
    monkeypatch.setattr(inst, "connect", bad_key)
    with pytest.raises(errors.InstallError, match="rejected"):
        inst.run(argv, env={"OWUI_API_KEY": "sk-x"}, out=io.StringIO())
    assert len(attempts) == 1


def test_models_of_admin_routes_and_long_context_are_checked_and_shared():
    real = source.load_function_source(REPO / "functions" / "router_filter.py")
    routes = "math -> gpt-reasoning: prove, theorem\nlegal -> gpt-legal@4: contract\nnot a route line"
    listed = ("gpt-code", "gpt-chat", "gpt-vision", "gpt-reasoning", "gpt-long")
    new = {"routes": routes, "long_context_model": "gpt-long"}
    server = FakeServer(listed=listed)
    with pytest.raises(errors.InstallError, match=r"routes\[legal\]='gpt-legal'") as exc:
        _plan(server, real, new)
    assert "gpt-reasoning" not in str(exc.value).split("models it lists")[0]  # listed: not missing
    assert all(m == "GET" for m, _ in server.calls)
    server = FakeServer(listed=listed + ("gpt-legal",))
    plan, _ = _plan(server, real, new)
    shared = {s.body["id"] for s in plan.changes if s.path == "/api/v1/models/model/access/update"}
    assert shared == {"gpt-code", "gpt-chat", "gpt-vision", "gpt-reasoning", "gpt-legal", "gpt-long"}
    # the line the router will skip is named, not fatal
    assert any("routes line 3" in n for n in plan.notes), plan.notes
    # gpt-reasoning missing: the message says which LiteLLM config serves it
    with pytest.raises(errors.InstallError, match="litellm_config.reasoning.yaml"):
        _plan(FakeServer(), real, {"routes": "math -> gpt-reasoning: prove"})
