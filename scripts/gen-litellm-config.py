#!/usr/bin/env python3
"""Generate a LiteLLM config that spreads every Ollama model group over a list of Ollama hosts.

The single-box `litellm_config.yaml` stays the source of truth for the model groups
(gpt-chat, gpt-code, gpt-vision, gpt-backup), router settings and fallbacks. This script
reads it, keeps everything that is not an Ollama deployment unchanged, and writes one
deployment per (model group, Ollama model, host) for the hosts you list:

    OLLAMA_HOSTS="gpu1=http://gpu1.lan:11434,gpu2=http://gpu2.lan:11434" \\
        python3 scripts/gen-litellm-config.py --out generated/litellm_config.yaml

Adding an Ollama host = adding one `name=url` entry to OLLAMA_HOSTS (in .env for the
scale-out compose stack, which runs this script in a one-shot container at start-up),
then `docker compose -f compose.yaml -f compose.scale.yaml up -d` again.

Hosts: entries separated by commas or whitespace; each entry is `name=url` or a bare
`url` (the name is then the URL's host name). The name ends up in `model_info.id`
(`llama3@gpu1`), which LiteLLM returns in the `x-litellm-model-id` header, so you can see
which host answered. Every host must have every model of the config pulled; a host that
lacks one answers 404 for it and LiteLLM cools that deployment down (see docs/scaling.md).

An Ollama deployment is a `model_list` entry whose `litellm_params.model` starts with
`ollama/` or `ollama_chat/`. Entries that differ only in `api_base` (the single-box
config's OLLAMA_A_URL / OLLAMA_B_URL pair) are merged into one template first.

A config with `include:` (litellm_config.reasoning.yaml includes litellm_config.yaml) is
merged first the way LiteLLM merges it (litellm/proxy/common_utils/config_includes.py in
1.108.0: each file named relative to the one that names it, read once; lists are joined,
every other key is replaced by the included file's), so the generated file needs no include.

Local Python modules the config names as dotted paths (the request-log callback in
`litellm_settings.callbacks`) are resolved by LiteLLM relative to the config file, so
with --out they are copied next to the generated file (scripts/litellm_request_log.py).

Options: --config FILE (default: litellm_config.yaml next to this script's parent),
--hosts LIST (default: $OLLAMA_HOSTS), --out FILE (default: stdout), --list (print the
resulting deployments as a table instead of YAML). Needs PyYAML (present in the LiteLLM
image and venv). Exit code 2 on bad input.
"""
from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the interpreter used
    sys.stderr.write("gen-litellm-config: PyYAML is required (pip install pyyaml, or run it with the LiteLLM venv)\n")
    sys.exit(2)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "litellm_config.yaml"
OLLAMA_PREFIXES = ("ollama/", "ollama_chat/")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ConfigError(ValueError):
    """Bad hosts list or config; the message is meant for the user."""


def parse_hosts(spec: str) -> list[tuple[str, str]]:
    """`"gpu1=http://a:11434, http://b:11434"` -> [("gpu1", "http://a:11434"), ("b", "http://b:11434")]."""
    hosts: list[tuple[str, str]] = []
    for entry in re.split(r"[,\s]+", spec or ""):
        if not entry:
            continue
        name, sep, url = entry.partition("=")
        if not sep:
            name, url = "", entry
        url = url.rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"OLLAMA_HOSTS entry {entry!r}: expected name=http://host:port or http://host:port")
        if parts.path not in ("", "/"):
            raise ConfigError(f"OLLAMA_HOSTS entry {entry!r}: give the Ollama base URL without a path (no /api)")
        name = name or parts.hostname
        if not NAME_RE.match(name):
            raise ConfigError(f"OLLAMA_HOSTS entry {entry!r}: host name {name!r} may only use letters, digits, . _ -")
        if any(name == n for n, _ in hosts):
            raise ConfigError(f"OLLAMA_HOSTS: host name {name!r} appears twice")
        if any(url == u for _, u in hosts):
            raise ConfigError(f"OLLAMA_HOSTS: URL {url!r} appears twice")
        hosts.append((name, url))
    if not hosts:
        raise ConfigError("no Ollama hosts given: set OLLAMA_HOSTS or pass --hosts (name=url,...)")
    return hosts


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a LiteLLM config (a YAML mapping)")
    return data


def load_config(path: Path) -> dict:
    """The config at `path` with its `include` files merged in, as LiteLLM 1.108.0 merges them:
    breadth first, each file once, named relative to the file that names it; an included
    file's lists extend the merged lists, its other values replace them."""
    path = path.resolve()
    root = _read_yaml(path)
    merged = {k: v for k, v in root.items() if k != "include"}
    pending = [(inc, path) for inc in _includes(root, path)]
    loaded = {path}
    while pending:
        entry, declared_in = pending.pop(0)
        location = (declared_in.parent / entry).resolve()
        if location in loaded:
            continue
        loaded.add(location)
        included = _read_yaml(location)
        for key, value in included.items():
            if key == "include":
                continue
            base = merged.get(key)
            merged[key] = [*base, *value] if isinstance(base, list) and isinstance(value, list) else value
        pending.extend((inc, location) for inc in _includes(included, location))
    return merged


def _includes(config: dict, path: Path) -> list[str]:
    entries = config.get("include", [])
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ConfigError(f"{path}: 'include' must be a list of file paths")
    return entries


def is_ollama_deployment(entry: dict) -> bool:
    model = str((entry.get("litellm_params") or {}).get("model") or "")
    return model.startswith(OLLAMA_PREFIXES)


def _template_key(entry: dict) -> tuple:
    params = {k: v for k, v in (entry.get("litellm_params") or {}).items() if k != "api_base"}
    info = {k: v for k, v in (entry.get("model_info") or {}).items() if k != "id"}
    return (entry.get("model_name"), yaml.safe_dump(params, sort_keys=True), yaml.safe_dump(info, sort_keys=True))


def generate(config: dict, hosts: list[tuple[str, str]]) -> dict:
    """A new config dict: Ollama deployments multiplied over `hosts`, the rest unchanged."""
    if not isinstance(config, dict) or not isinstance(config.get("model_list"), list):
        raise ConfigError("the LiteLLM config has no model_list")
    out = copy.deepcopy(config)
    new_list: list[dict] = []
    templates: list[dict] = []
    seen: set = set()
    for entry in config["model_list"]:
        if not isinstance(entry, dict) or not is_ollama_deployment(entry):
            new_list.append(copy.deepcopy(entry))
            continue
        key = _template_key(entry)
        if key in seen:
            continue  # same group + model on another host of the single-box config
        seen.add(key)
        templates.append(entry)
        new_list.append({"__template__": len(templates) - 1})
    if not templates:
        raise ConfigError("the LiteLLM config has no Ollama deployments (litellm_params.model: ollama_chat/...)")

    def short(entry: dict) -> str:
        # the part of the template's own id before "@" ("llama3", "llama3/patient" for the
        # cold-start tier), else the Ollama model name
        own = (entry.get("model_info") or {}).get("id")
        if isinstance(own, str) and "@" in own and own.rsplit("@", 1)[0]:
            return own.rsplit("@", 1)[0]
        return str(entry["litellm_params"]["model"]).split("/", 1)[1]

    # ids are "<model>@<host>" like the single-box config; if two groups share a model, prefix the group
    plain = [short(t) for t in templates]
    qualify = len(set(plain)) != len(plain)
    expanded: list[dict] = []
    for item in new_list:
        if "__template__" not in item:
            expanded.append(item)
            continue
        tpl = templates[item["__template__"]]
        for name, url in hosts:
            dep = copy.deepcopy(tpl)
            dep["litellm_params"]["api_base"] = url
            info = dict(dep.get("model_info") or {})
            base_id = f"{tpl['model_name']}:{short(tpl)}" if qualify else short(tpl)
            info["id"] = f"{base_id}@{name}"
            dep["model_info"] = info
            expanded.append(dep)
    out["model_list"] = expanded
    return out


DOTTED_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def local_modules(config: dict, source_dir: Path) -> list[Path]:
    """Module files next to the config that it names as dotted paths (e.g. `callbacks:
    [scripts.litellm_request_log.request_log]`). LiteLLM resolves those relative to the
    config file's directory, so they must be copied next to the generated config."""
    found: list[Path] = []

    def walk(v) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str) and DOTTED_RE.match(v):
            rel = Path(*v.split(".")[:-1]).with_suffix(".py")
            if (source_dir / rel).is_file() and rel not in found:
                found.append(rel)

    walk({k: v for k, v in config.items() if k != "model_list"})
    return found


def render(config: dict, source: Path, hosts: list[tuple[str, str]]) -> str:
    head = (
        f"# GENERATED by scripts/gen-litellm-config.py from {source.name}; do not edit, edit OLLAMA_HOSTS\n"
        f"# or {source.name} and generate again. Ollama hosts: "
        + ", ".join(f"{n}={u}" for n, u in hosts)
        + "\n"
    )
    return head + yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def table(config: dict) -> str:
    rows = [("model group", "model", "api_base", "id")]
    for e in config["model_list"]:
        p = e.get("litellm_params") or {}
        rows.append((str(e.get("model_name")), str(p.get("model")), str(p.get("api_base", "")),
                     str((e.get("model_info") or {}).get("id", ""))))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows) + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".litellm-config-", dir=str(path.parent))
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Spread the Ollama model groups of a LiteLLM config over a list of hosts.")
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="single-box LiteLLM config (template)")
    ap.add_argument("--hosts", default=None, help="name=url,... (default: $OLLAMA_HOSTS)")
    ap.add_argument("--out", type=Path, default=None, help="write here (default: stdout)")
    ap.add_argument("--list", action="store_true", help="print a table of the deployments instead of YAML")
    a = ap.parse_args(argv)
    try:
        hosts = parse_hosts(a.hosts if a.hosts is not None else os.environ.get("OLLAMA_HOSTS", ""))
        source = load_config(a.config)
        result = generate(source, hosts)
    except ConfigError as e:
        sys.stderr.write(f"gen-litellm-config: {e}\n")
        return 2
    text = table(result) if a.list else render(result, a.config, hosts)
    modules = local_modules(result, a.config.resolve().parent)
    if a.out is None:
        sys.stdout.write(text)
        if modules and not a.list:
            sys.stderr.write("gen-litellm-config: put these next to the generated config, LiteLLM loads them "
                             "relative to it: " + ", ".join(map(str, modules)) + "\n")
    else:
        for rel in modules:  # callbacks resolved relative to the config: copy them along
            write_atomic(a.out.parent / rel, (a.config.resolve().parent / rel).read_text())
        write_atomic(a.out, text)
        n = sum(1 for e in result["model_list"] if is_ollama_deployment(e))
        sys.stderr.write(f"gen-litellm-config: wrote {a.out} ({n} Ollama deployments on {len(hosts)} hosts)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
