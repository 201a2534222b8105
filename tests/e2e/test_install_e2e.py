"""The installer against the real Open WebUI: scripts/install-router.py run as a subprocess, the
way a user runs it from a clone, and Open WebUI's own API read back to check what it did."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from support import procs
from support.openwebui import http_json

FUNCTION_ID = "router_filter"
REPO = procs.REPO_ROOT

pytestmark = [pytest.mark.e2e]


def one_line_error(rc: int, out: str, err: str) -> str:
    assert rc != 0, f"expected a failure, got rc 0: {out}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    assert "Traceback" not in err
    assert lines[0].startswith("owui-router "), lines[0]
    return lines[0]


def changes(out: str) -> list[str]:
    """Plan lines that change something (the installer marks them with '*')."""
    return [line for line in out.splitlines() if line.startswith("  * ")]


def api(stack, method, path, body=None):
    return http_json(method, stack.owui.url + path, body, token=stack.admin.token)


def model_auto(stack):
    return api(stack, "GET", "/api/v1/models/model?id=auto")


def functions_with_our_id(stack):
    return [f for f in stack.owui.functions(stack.admin.token) if f["id"] == FUNCTION_ID]


# --------------------------------------------------------------------------- idempotence
def test_install_twice_leaves_one_function_with_the_same_valves(installed):
    s = installed
    rc, out, err = s.install("--set", "threshold=2.5", "--set", "debug=true")
    assert rc == 0, err
    fn1 = api(s, "GET", f"/api/v1/functions/id/{FUNCTION_ID}")
    valves1 = api(s, "GET", f"/api/v1/functions/id/{FUNCTION_ID}/valves")
    model1 = model_auto(s)
    rc, out, err = s.install()
    assert rc == 0, err
    assert changes(out) == [], f"second run changed something:\n{out}"
    assert len(functions_with_our_id(s)) == 1
    fn2 = api(s, "GET", f"/api/v1/functions/id/{FUNCTION_ID}")
    assert api(s, "GET", f"/api/v1/functions/id/{FUNCTION_ID}/valves") == valves1 == {"threshold": 2.5, "debug": True}
    assert (fn2["version_id"], fn2["is_active"], fn2["is_global"], fn2["content"]) == \
           (fn1["version_id"], True, False, fn1["content"])
    model2 = model_auto(s)
    assert model2["version_id"] == model1["version_id"]
    assert model2["meta"]["filterIds"].count(FUNCTION_ID) == 1
    assert model2["base_model_id"] == "gpt-chat"
    rc, out, err = s.install("--reset-valves")
    assert rc == 0 and api(s, "GET", f"/api/v1/functions/id/{FUNCTION_ID}/valves") == {}, err


def test_valves_set_in_the_admin_ui_are_kept_and_new_ones_merged(installed, tmp_path):
    s = installed
    # what the admin UI's gear icon does
    api(s, "POST", f"/api/v1/functions/id/{FUNCTION_ID}/valves/update", {"threshold": 4.0, "show_status": False})
    try:
        rc, out, err = s.install()
        assert rc == 0, err
        assert api(s, "GET", f"/api/v1/functions/id/{FUNCTION_ID}/valves") == {"threshold": 4.0, "show_status": False}
        vf = tmp_path / "valves.json"
        vf.write_text(json.dumps({"history_depth": 2, "extra_code_keywords": "terraform:2, helm"}))
        rc, out, err = s.install("--valves", str(vf), "--set", "threshold=3")
        assert rc == 0, err
        assert api(s, "GET", f"/api/v1/functions/id/{FUNCTION_ID}/valves") == {
            "threshold": 3.0, "show_status": False, "history_depth": 2, "extra_code_keywords": "terraform:2, helm"}
    finally:
        s.install("--reset-valves")


def test_a_toggled_off_function_is_turned_back_on(installed):
    s = installed
    api(s, "POST", f"/api/v1/functions/id/{FUNCTION_ID}/toggle")  # the admin switched it off
    assert not s.function()["is_active"]
    rc, out, err = s.install()
    assert rc == 0, err
    assert any("turn function" in line for line in changes(out)), out
    assert s.function()["is_active"]


def test_valves_spec_on_the_server_matches_what_the_installer_validates(installed):
    sys.path.insert(0, str(REPO / "src"))
    from owui_router_filter.openwebui.source import load_function_source

    local = load_function_source(REPO / "functions" / "router_filter.py").schema
    remote = api(installed, "GET", f"/api/v1/functions/id/{FUNCTION_ID}/valves/spec")
    assert {k: v.get("type") for k, v in remote["properties"].items()} == \
           {k: v.get("type") for k, v in local["properties"].items()}


# --------------------------------------------------------------------------- modes
def test_global_install_routes_auto_and_respects_explicit_models(installed):
    s = installed
    try:
        rc, out, err = s.install("--global")
        assert rc == 0, err
        assert s.function()["is_global"] is True
        code = "Why does this Python code raise IndexError: list index out of range?"
        r = s.chat("auto", code)
        assert r.status == 200 and r.answered_by() == {"deepseek-coder"}, r
        r = s.chat("gpt-chat", code)  # picked by hand: not routed even though the filter is global
        assert r.status == 200 and r.answered_by() == {"llama3"}, r
        rc, out, err = s.install("--global")
        assert rc == 0 and changes(out) == [], out
    finally:
        rc, out, err = s.install()
    assert rc == 0, err
    assert s.function()["is_global"] is False


def test_dry_run_changes_nothing(installed):
    s = installed
    rc, out, err = s.install(command="uninstall")
    assert rc == 0, err
    try:
        rc, out, err = s.install("--dry-run", "--set", "threshold=9")
        assert rc == 0, err
        assert any("create function" in line for line in changes(out)), out
        assert "dry run" in out
        assert functions_with_our_id(s) == []
        with pytest.raises(Exception):
            model_auto(s)
    finally:
        assert s.install()[0] == 0


def test_uninstall_removes_the_function_and_its_model(installed):
    s = installed
    assert model_auto(s)["meta"]["filterIds"] == [FUNCTION_ID]
    rc, out, err = s.install(command="uninstall")
    assert rc == 0, err
    assert functions_with_our_id(s) == []
    assert "auto" not in s.owui.model_ids(s.admin.token)
    r = s.chat("auto", "hello")
    assert r.status != 200  # the model is gone
    rc, out, err = s.install(command="uninstall")  # nothing left to remove: still fine
    assert rc == 0 and changes(out) == [], out
    # --keep-model keeps the Auto model but detaches the filter
    assert s.install()[0] == 0
    rc, out, err = s.install("--keep-model", command="uninstall")
    assert rc == 0, err
    assert functions_with_our_id(s) == []
    assert FUNCTION_ID not in model_auto(s)["meta"].get("filterIds", [])
    api(s, "POST", "/api/v1/models/model/delete", {"id": "auto"})
    assert s.install()[0] == 0


def test_existing_auto_model_keeps_its_other_filters(installed):
    s = installed
    m = model_auto(s)
    meta = dict(m["meta"], filterIds=["someone_elses_filter"])
    api(s, "POST", "/api/v1/models/model/update",
        {"id": "auto", "name": "My Auto", "base_model_id": "gpt-chat", "meta": meta, "params": {}})
    rc, out, err = s.install()
    assert rc == 0, err
    m = model_auto(s)
    assert m["meta"]["filterIds"] == ["someone_elses_filter", FUNCTION_ID]
    assert m["name"] == "My Auto"


# --------------------------------------------------------------------------- auth paths
def test_admin_email_and_password_work_like_the_compose_job(installed):
    s = installed
    env = s.installer_env(OWUI_API_KEY=None, OWUI_ADMIN_EMAIL=s.admin.email, OWUI_ADMIN_PASSWORD=s.admin.password)
    rc, out, err = s.install(env=env)
    assert rc == 0, err
    assert s.admin.password not in out + err


def test_api_key_file_and_console_script(installed, tmp_path):
    s = installed
    key_file = tmp_path / "key"
    key_file.write_text(s.api_key + "\n")
    env = s.installer_env(OWUI_API_KEY=None)
    rc, out, err = s.install("--api-key-file", str(key_file), "--dry-run", env=env)
    assert rc == 0, err
    exe = shutil.which("owui-router")
    assert exe, "the owui-router console script is not on PATH: pip install -e .[test]"
    r = subprocess.run([exe, "install", "--dry-run"], env=dict(s.installer_env(), OWUI_API_KEY_FILE=str(key_file)),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "0 change(s) planned" in r.stdout
    assert s.api_key not in r.stdout + r.stderr


# --------------------------------------------------------------------------- one-line errors
def test_error_server_unreachable(installed):
    env = installed.installer_env(OWUI_URL=f"http://127.0.0.1:{procs.free_port()}")
    line = one_line_error(*installed.install(env=env))
    assert "cannot reach Open WebUI" in line
    # --wait keeps trying (progress on stdout), then fails with the same single line
    rc, out, err = installed.install("--wait", "3", env=env)
    assert "cannot reach Open WebUI" in one_line_error(rc, out, err)
    assert "waiting: cannot reach" in out


def test_error_bad_key(installed):
    line = one_line_error(*installed.install(env=installed.installer_env(OWUI_API_KEY="sk-0123456789abcdef")))
    assert "rejected the API key" in line
    assert "sk-0123456789abcdef" not in line


def test_error_no_credentials(installed):
    line = one_line_error(*installed.install(env=installed.installer_env(OWUI_API_KEY=None)))
    assert "no credentials" in line


def test_error_secret_on_the_command_line_is_refused_and_not_echoed(installed):
    rc, out, err = installed.install("--api-key", "sk-topsecret123")
    line = one_line_error(rc, out, err)
    assert "never go on the command line" in line
    assert "sk-topsecret123" not in out + err


def test_error_non_admin(installed):
    s = installed
    user = s.owui.add_user(s.admin, "notadmin@example.com", name="Not Admin")
    env = s.installer_env(OWUI_API_KEY=None, OWUI_ADMIN_EMAIL=user.email, OWUI_ADMIN_PASSWORD=user.password)
    assert "not an admin" in one_line_error(*s.install(env=env))
    # the same user's API key (users may create keys once the admin allows it)
    perms = api(s, "GET", "/api/v1/users/default/permissions")
    allowed = json.loads(json.dumps(perms))
    allowed["features"]["api_keys"] = True
    api(s, "POST", "/api/v1/users/default/permissions", allowed)
    try:
        key = s.owui.create_api_key(user)
        line = one_line_error(*s.install(env=s.installer_env(OWUI_API_KEY=key)))
        assert "not an admin" in line
        assert key not in line
    finally:
        api(s, "POST", "/api/v1/users/default/permissions", perms)


def test_error_api_keys_disabled(installed):
    s = installed
    config = api(s, "GET", "/api/v1/auths/admin/config")
    api(s, "POST", "/api/v1/auths/admin/config", dict(config, ENABLE_API_KEYS=False))
    try:
        line = one_line_error(*s.install())
        assert "API keys are disabled" in line
    finally:
        api(s, "POST", "/api/v1/auths/admin/config", dict(config, ENABLE_API_KEYS=True))
    assert s.install("--dry-run")[0] == 0


def test_error_alias_missing_from_open_webui(installed):
    s = installed
    before = api(s, "GET", f"/api/v1/functions/id/{FUNCTION_ID}/valves")
    line = one_line_error(*s.install("--set", "code_model=gpt-coder-xl"))
    assert "gpt-coder-xl" in line and "Model not found" in line
    # nothing was changed by the failed run
    assert api(s, "GET", f"/api/v1/functions/id/{FUNCTION_ID}/valves") == before


def test_error_function_id_used_by_another_function(installed):
    s = installed
    other = ('"""\ntitle: Something Else\n"""\nfrom pydantic import BaseModel\n\n'
             'class Action:\n    class Valves(BaseModel):\n        pass\n\n'
             '    def __init__(self):\n        self.valves = self.Valves()\n\n'
             '    async def action(self, body):\n        return body\n')
    api(s, "POST", "/api/v1/functions/create",
        {"id": "taken_id", "name": "Something Else", "content": other, "meta": {"description": "not ours"}})
    try:
        line = one_line_error(*s.install("--id", "taken_id", "--no-model"))
        assert "already used by a action function" in line or "already used by" in line
        assert api(s, "GET", "/api/v1/functions/id/taken_id")["type"] == "action"
        line = one_line_error(*s.install("--id", "taken_id", command="uninstall"))
        assert "refusing" in line
        rc, out, err = s.install("--id", "taken_id", "--no-model", "--force")
        assert rc == 0, err
        assert api(s, "GET", "/api/v1/functions/id/taken_id")["type"] == "filter"
    finally:
        s.install("--id", "taken_id", "--force", command="uninstall")
    assert [f for f in s.owui.functions(s.admin.token) if f["id"] == "taken_id"] == []


@pytest.mark.parametrize("args, expected", [
    (["--set", "no_such_valve=1"], "unknown valve 'no_such_valve'"),
    (["--set", "threshold=high"], "valve threshold: 'high' is not a valid number"),
    (["--set", "debug=maybe"], "valve debug"),
    (["--set", "threshold"], "--set expects key=value"),
    (["--valves", "/nonexistent/valves.json"], "cannot read valves file"),
    (["--id", "Bad-Id"], "lowercase Python identifier"),
    (["--file", "/nonexistent/router.py"], "cannot read function file"),
    (["--bogus"], "unrecognized arguments"),
])
def test_error_bad_input(installed, args, expected):
    assert expected in one_line_error(*installed.install(*args))
