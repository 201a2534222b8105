#!/usr/bin/env python3
"""Which model and which Ollama instance answered recent requests?

Reads the one-line-per-request records that scripts/litellm_request_log.py makes the LiteLLM
proxy print, and shows the last N of them plus a count per deployment.

    docker compose logs --no-color litellm | python scripts/which-model.py          # from a pipe
    python scripts/which-model.py --compose                                         # runs docker compose logs itself
    python scripts/which-model.py --file /path/to/litellm.log -n 50
    python scripts/which-model.py --probe [--url http://127.0.0.1:4000]             # ask the proxy now

--probe sends one tiny request per alias and prints the response headers that name the
deployment (x-litellm-model-id, ...). It needs the proxy's port on this machine (compose
publishes it on 127.0.0.1 only when LITELLM_PORT is set) and reads the key from
LITELLM_MASTER_KEY (environment or ./.env); the key is never printed or passed as an argument.

Standard library only. Exit code 0 when records were found/probes answered, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

PREFIX = "OWUI_ROUTER_REQUEST"
ALIASES = ("gpt-chat", "gpt-code", "gpt-vision", "gpt-backup")


def parse_records(lines):
    """Yield the JSON records found anywhere in `lines` (compose adds 'litellm-1  | ' prefixes)."""
    for line in lines:
        i = line.find(PREFIX + " ")
        if i < 0:
            continue
        try:
            rec = json.loads(line[i + len(PREFIX) + 1:].strip())
        except ValueError:
            continue
        if isinstance(rec, dict):
            yield rec


def answered(records):
    """Only the final answers (one per user request): not the failed attempts before them, nor the
    proxy's own background health checks (they name no requested model group)."""
    return [r for r in records if r.get("status") == "ok" and r.get("requested")]


def format_table(records, n):
    rows = records[-n:] if n > 0 else records
    out = [f"{'time':<25} {'requested':<11} {'deployment':<26} {'instance url':<28} {'note'}"]
    for r in rows:
        notes = []
        if r.get("status") != "ok":
            notes.append(f"FAILED attempt ({r.get('error', '?')})")
        if r.get("requested") and r.get("group") and r["requested"] != r["group"]:
            notes.append(f"fallback -> {r['group']}")
        elif r.get("fallbacks"):
            notes.append("re-sent to the other instance")
        if r.get("retries"):
            notes.append(f"{r['retries']} retries")
        if r.get("stream"):
            notes.append("stream")
        if r.get("ms") is not None:
            notes.append(f"{r['ms']} ms")
        out.append(f"{str(r.get('ts', '')):<25} {str(r.get('requested', '')):<11} "
                   f"{str(r.get('deployment', '')):<26} {str(r.get('api_base', '')):<28} {', '.join(notes)}")
    return "\n".join(out)


def summary(records):
    ok = answered(records)
    per_dep = Counter(r.get("deployment") for r in ok)
    per_inst = Counter(str(r.get("deployment", "")).split("@")[-1] for r in ok)
    fallbacks = sum(1 for r in ok if r.get("requested") != r.get("group"))
    failed_attempts = sum(1 for r in records if r.get("status") != "ok")
    lines = [f"answered requests: {len(ok)}   cross-model fallbacks: {fallbacks}   "
             f"failed attempts (retried or fell back): {failed_attempts}"]
    lines += [f"  {str(dep):<28} {n}" for dep, n in sorted(per_dep.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    lines.append("per instance: " + ", ".join(f"{k}={v}" for k, v in sorted(per_inst.items())))
    return "\n".join(lines), per_dep, per_inst


def read_dotenv_key(name):
    env_file = Path(".env")
    if not env_file.exists():
        return None
    for line in env_file.read_text().splitlines():
        line = line.strip()
        if line.startswith(name + "="):
            return line.split("=", 1)[1].strip().strip('"').strip("'")
    return None


def probe(url, key, aliases):
    ok = True
    for alias in aliases:
        body = json.dumps({"model": alias, "max_tokens": 8,
                           "messages": [{"role": "user", "content": "Reply with one word: ok"}]}).encode()
        req = urllib.request.Request(url.rstrip("/") + "/v1/chat/completions", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                h = r.headers
                print(f"{alias:<11} -> {h.get('x-litellm-model-id')}  ({h.get('x-litellm-model-api-base')})  "
                      f"retries={h.get('x-litellm-attempted-retries')} fallbacks={h.get('x-litellm-attempted-fallbacks')}")
        except urllib.error.HTTPError as e:
            ok = False
            print(f"{alias:<11} -> HTTP {e.code}: {e.read()[:200]!r}")
        except (urllib.error.URLError, OSError) as e:
            ok = False
            print(f"{alias:<11} -> no answer: {e}")
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--file", help="a LiteLLM log file (default: read stdin)")
    src.add_argument("--compose", action="store_true", help="run `docker compose logs litellm` (or docker-compose)")
    src.add_argument("--probe", action="store_true", help="send one request per alias and show the headers")
    ap.add_argument("-n", type=int, default=20, help="how many recent requests to list (0 = all)")
    ap.add_argument("--all", action="store_true", help="also list failed attempts, not only answers")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    ap.add_argument("--url", default=os.environ.get("LITELLM_URL", "http://127.0.0.1:4000"),
                    help="proxy URL for --probe (env LITELLM_URL)")
    ap.add_argument("--alias", action="append", help="alias(es) to probe (default: all four)")
    a = ap.parse_args(argv)

    if a.probe:
        key = os.environ.get("LITELLM_MASTER_KEY") or read_dotenv_key("LITELLM_MASTER_KEY")
        if not key:
            print("LITELLM_MASTER_KEY is not set (environment or ./.env)", file=sys.stderr)
            return 1
        return 0 if probe(a.url, key, a.alias or ALIASES) else 1

    if a.compose:
        for cmd in (["docker", "compose", "logs", "--no-color", "litellm"], ["docker-compose", "logs", "--no-color", "litellm"]):
            try:
                p = subprocess.run(cmd, capture_output=True, text=True)
            except FileNotFoundError:
                continue
            if p.returncode == 0:
                lines = p.stdout.splitlines()
                break
        else:
            print("could not run `docker compose logs litellm`", file=sys.stderr)
            return 1
    elif a.file:
        lines = Path(a.file).read_text(errors="replace").splitlines()
    else:
        lines = sys.stdin.read().splitlines()

    records = list(parse_records(lines))
    if not records:
        print("no OWUI_ROUTER_REQUEST lines found: is litellm_settings.callbacks set in litellm_config.yaml, "
              "and has a request been made since the proxy started?", file=sys.stderr)
        return 1
    text, per_dep, per_inst = summary(records)
    if a.json:
        ok = answered(records)
        print(json.dumps({"answered": len(ok), "per_deployment": dict(per_dep), "per_instance": dict(per_inst),
                          "fallbacks": sum(1 for r in ok if r.get("requested") != r.get("group")),
                          "failed_attempts": sum(1 for r in records if r.get("status") != "ok")}))
        return 0
    print(format_table(records if a.all else answered(records), a.n))
    print()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
