"""How the REAL LiteLLM proxy treats a hung, slow-loading or slow Ollama: prints figures.

Started by hand (not part of the test suite). It runs the proxy from the test venv
(scripts/setup-test-env.sh litellm) with litellm_config.yaml, or with a copy of it changed by
--set, in front of two Ollama stand-ins (tests/support/ollama_stub.py) on 127.0.0.1, and
times what a user sees. All traffic stays on loopback.

    python benchmarks/hang_timeouts.py hung                  # instance A hangs
    python benchmarks/hang_timeouts.py cold_both --load 40   # both instances load the model for 40 s
    python benchmarks/hang_timeouts.py cold_one --load 40    # only A is cold
    python benchmarks/hang_timeouts.py slow_tokens           # 1 s between tokens, 25 tokens
    python benchmarks/hang_timeouts.py hung --set router_settings.stream_timeout=120 \\
        --set router_settings.allowed_fails_policy.TimeoutErrorAllowedFails=1

--set KEY=VALUE: a dotted path into the YAML (values parsed as YAML); `model_list.*.litellm_params.X`
sets X on every deployment, `-KEY` deletes a key. Each scenario prints one FIGURES line per
request (seconds, HTTP status, the deployment that answered) and a summary.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support import procs  # noqa: E402
from support.litellm_proxy import CONFIG_PATH, LiteLLMProxy  # noqa: E402
from support.ollama_stub import remote_control, remote_stats  # noqa: E402


def apply_set(cfg: dict, expr: str) -> None:
    delete = expr.startswith("-")
    key, _, raw = expr.lstrip("-").partition("=")
    value = yaml.safe_load(raw) if not delete else None
    parts = key.split(".")

    def walk(node, parts):
        head, rest = parts[0], parts[1:]
        targets = node if head == "*" else [node]
        for t in targets:
            if head == "*":
                if rest:
                    walk(t, rest)
                continue
            if not rest:
                if delete:
                    t.pop(head, None)
                else:
                    t[head] = value
            else:
                walk(t.setdefault(head, {}), rest)

    walk(cfg, parts)


def chat(url, headers, model, text, stream=True, timeout=400):
    body = {"model": model, "messages": [{"role": "user", "content": text}], "stream": stream}
    t0 = time.monotonic()
    first = None
    try:
        r = requests.post(url + "/v1/chat/completions", headers=headers, json=body, timeout=timeout, stream=stream)
        content, error = "", None
        if stream and r.status_code == 200:
            for line in r.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    break
                obj = json.loads(data)
                if "error" in obj:
                    error = str(obj["error"])[:160]
                    break
                for ch in obj.get("choices", []):
                    piece = (ch.get("delta") or {}).get("content")
                    if piece:
                        first = first or time.monotonic() - t0
                        content += piece
        elif r.status_code == 200:
            content = r.json()["choices"][0]["message"]["content"]
        else:
            error = r.text[:160]
        return {"s": round(time.monotonic() - t0, 2), "first": round(first, 2) if first else None,
                "status": r.status_code, "id": r.headers.get("x-litellm-model-id"),
                "retries": r.headers.get("x-litellm-attempted-retries"),
                "fallbacks": r.headers.get("x-litellm-attempted-fallbacks"),
                "answer": content[:40], "error": error}
    except requests.RequestException as e:
        return {"s": round(time.monotonic() - t0, 2), "status": None, "error": repr(e)[:160]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=["hung", "hung_all", "cold_both", "cold_one", "slow_tokens", "die"])
    ap.add_argument("--set", action="append", default=[], dest="sets")
    ap.add_argument("--config", default=str(CONFIG_PATH))
    ap.add_argument("--load", type=float, default=40.0, help="model load seconds (cold scenarios)")
    ap.add_argument("-n", type=int, default=6, help="requests in the first phase")
    ap.add_argument("--then-wait", type=float, default=0.0, help="seconds to wait before a second phase")
    ap.add_argument("--then-n", type=int, default=6)
    ap.add_argument("--release-after-phase1", action="store_true", help="clear the hang before phase 2")
    ap.add_argument("--model", default="gpt-chat")
    ap.add_argument("--non-stream", action="store_true")
    ap.add_argument("--no-guard", action="store_true", help="start litellm directly: no request log, no hang guard")
    a = ap.parse_args()

    cfg = yaml.safe_load(Path(a.config).read_text())
    for s in a.sets:
        apply_set(cfg, s)
    work = Path(tempfile.mkdtemp(prefix="owui-hang-bench-"))
    cfg_path = work / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    print("router_settings:", json.dumps(cfg.get("router_settings", {}), default=str))
    print("general_settings:", json.dumps({k: v for k, v in cfg.get("general_settings", {}).items()
                                           if k != "master_key"}))

    stubs = {}
    proxy = None
    try:
        for name in ("ollama-a", "ollama-b"):
            stubs[name] = procs.start_ollama_stub(name, log_dir=work)
        ua, ub = stubs["ollama-a"][1], stubs["ollama-b"][1]
        # warm every model first (as the warm-up after the pull job does), then set the scenario
        for u in (ua, ub):
            for m in ("llama3", "deepseek-coder", "llava", "mistral"):
                requests.post(u + "/api/chat", json={"model": m, "messages": []}, timeout=10)
        if a.scenario == "hung":
            remote_control(ua, hang=True)
        elif a.scenario == "hung_all":
            remote_control(ua, hang_all=True)
        elif a.scenario == "cold_both":
            for u in (ua, ub):
                remote_control(u, unload=True, load_seconds=a.load)
        elif a.scenario == "cold_one":
            remote_control(ua, unload=True, load_seconds=a.load)
        elif a.scenario == "slow_tokens":
            for u in (ua, ub):
                remote_control(u, token_delay=1.0, reply_words=20)
        elif a.scenario == "die":
            remote_control(ua, die_after_chunks=3, reply_words=10)
        # started through the request-log launcher, as compose does: that adds the hang guard
        proxy = LiteLLMProxy(ua, ub, config=cfg_path, log_dir=work, timeout=180, request_log=not a.no_guard)
        t = time.monotonic()
        proxy.start()
        print(f"proxy up in {time.monotonic() - t:.1f} s; logs in {work}")
        t_start = time.monotonic()

        def phase(label, n):
            rows = []
            for i in range(n):
                res = chat(proxy.url, proxy.headers, a.model, f"{label} {i}", stream=not a.non_stream)
                res["t"] = round(time.monotonic() - t_start, 1)
                sa, sb = remote_stats(ua), remote_stats(ub)
                res["a_hung"], res["a_req"], res["b_req"] = sa["hung"], sa["total"], sb["total"]
                print(f"FIGURES {label} {i}: " + json.dumps(res), flush=True)
                rows.append(res)
            return rows

        rows = phase("phase1", a.n)
        if a.release_after_phase1:
            remote_control(ua, hang=False, hang_all=False)
            print("released the hang on ollama-a")
        if a.then_wait:
            print(f"waiting {a.then_wait} s", flush=True)
            time.sleep(a.then_wait)
        if a.then_n and (a.then_wait or a.release_after_phase1):
            rows += phase("phase2", a.then_n)
        ok = sum(1 for r in rows if r.get("status") == 200 and not r.get("error"))
        print(f"SUMMARY {a.scenario}: {ok}/{len(rows)} answered, max {max(r['s'] for r in rows):.1f} s, "
              f"sum {sum(r['s'] for r in rows):.1f} s, A held {remote_stats(ua)['hung']} requests")
    finally:
        if proxy is not None:
            proxy.stop()
        for p, _ in stubs.values():
            p.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
