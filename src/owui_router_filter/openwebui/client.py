"""HTTP client for Open WebUI's REST API, credentials from the environment, and reading the server's state.

Endpoints used (checked against open-webui 0.12.4):

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
command line and never printed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from .errors import EXIT_USAGE, InstallError


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
