"""Load through the REAL Open WebUI with the router installed: prints figures (not a test).

Starts, all on 127.0.0.1 and stopped at the end: two Ollama stand-ins (tests/support/
ollama_stub.py, streaming answers of ~40 chunks), the real LiteLLM proxy with
litellm_config.yaml, the real Open WebUI (test venvs from scripts/setup-test-env.sh), the router
installed by our installer (model `auto`), and N users. Then, side by side in one run:

    without   each user streams chats straight to the alias the prompt belongs to
              (gpt-code / gpt-chat / gpt-vision): Open WebUI + LiteLLM, no filter involved
    nofilter  the same chats to `auto-nofilter`, a workspace model like `auto` (base gpt-chat)
              WITHOUT the filter: what a workspace model costs by itself (everything goes
              to llama3, so no route check)
    with      the same chats to `auto`: the router filter picks the alias in inlet

USERS concurrent users x CHATS streaming chats per mode (mixed code / chat / vision prompts),
after a short warm-up that is not counted. By default the modes are interleaved: each user's
chats cycle through the modes, so every mode sees the same load and the same drift (Open WebUI
gets slower over a long run); --order without,with runs them one block after the other. Printed: errors, wrong routes, chats/s, p50/p90/p99
of the time to the first content chunk and to the end of the stream, and the with/without
ratios (the router's overhead as Open WebUI users see it).

    OWUI_ROUTER_VENVS=/work/main/.venvs PYTHONPATH=src python benchmarks/load_openwebui.py
    ... --users 8 --chats 50 --deadline 1200 --order without,with,without,with

Bounded: --chats per user, a per-chat timeout, and --deadline for the whole run (chats not
started by then are skipped and reported).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

from support import procs  # noqa: E402
from support.litellm_proxy import LiteLLMProxy  # noqa: E402
from support.images import tiny_png  # noqa: E402
from support.openwebui import OpenWebUI  # noqa: E402

PNG = tiny_png()
# (content, the alias it belongs to, the Ollama model that must answer)
PROMPTS = [
    ("Write a Python function that parses a CSV file and sums the second column", "gpt-code", "deepseek-coder"),
    ("What should I cook for dinner tonight with chicken and rice?", "gpt-chat", "llama3"),
    ([{"type": "text", "text": "What is in this picture?"}, {"type": "image_url", "image_url": {"url": PNG}}],
     "gpt-vision", "llava"),
    ("How do I fix this traceback? TypeError: 'NoneType' object is not subscriptable", "gpt-code", "deepseek-coder"),
    ("Qual é a capital da Austrália e por que não é Sydney?", "gpt-chat", "llama3"),
    ("Escreva uma função em JavaScript que ordene uma lista de objetos por data", "gpt-code", "deepseek-coder"),
    ("Write a short poem about autumn leaves", "gpt-chat", "llama3"),
    ("¿Cómo hago un JOIN entre dos tablas en SQL y agrupo por país?", "gpt-code", "deepseek-coder"),
    ("Resuma a história da Revolução Francesa em três frases", "gpt-chat", "llama3"),
    ([{"type": "text", "text": "Describe this image in one sentence"}, {"type": "image_url", "image_url": {"url": PNG}}],
     "gpt-vision", "llava"),
]


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


def one_chat(url, token, model, content, timeout):
    body = {"model": model, "messages": [{"role": "user", "content": content}], "stream": True}
    t0 = time.monotonic()
    first, text, error = None, "", None
    try:
        with requests.post(url + "/api/chat/completions", json=body, timeout=timeout, stream=True,
                           headers={"Authorization": f"Bearer {token}"}) as r:
            if r.status_code != 200:
                return {"ok": False, "error": f"HTTP {r.status_code}: {r.text[:120]}", "total": time.monotonic() - t0}
            for line in r.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                try:
                    obj = json.loads(data)
                except ValueError:
                    continue
                if "error" in obj:
                    error = str(obj["error"])[:120]
                for ch in obj.get("choices") or []:
                    piece = (ch.get("delta") or {}).get("content")
                    if piece:
                        if first is None:
                            first = time.monotonic() - t0
                        text += piece
    except requests.RequestException as e:
        return {"ok": False, "error": repr(e)[:120], "total": time.monotonic() - t0}
    return {"ok": error is None and bool(text), "error": error, "first": first, "total": time.monotonic() - t0,
            "text": text}


MODEL_OF_MODE = {"with": "auto", "nofilter": "auto-nofilter"}


def run_mode(modes, url, tokens, chats, timeout, deadline):
    """`modes`: one mode, or several interleaved (each user cycles through them)."""
    modes = [modes] if isinstance(modes, str) else list(modes)
    results, lock = [], threading.Lock()
    skipped = [0]
    n = chats * len(modes)

    def user(u, token):
        for i in range(n):
            if time.monotonic() > deadline:
                with lock:
                    skipped[0] += n - i
                return
            mode = modes[(i + u) % len(modes)]
            content, alias, ollama_model = PROMPTS[(u * 7 + i // len(modes)) % len(PROMPTS)]
            res = one_chat(url, token, MODEL_OF_MODE.get(mode, alias), content, timeout)
            res["mode"] = mode
            expect = "llama3" if mode == "nofilter" and not isinstance(content, list) else ollama_model
            if mode == "nofilter" and isinstance(content, list):
                expect = None  # llama3 gets the image and ignores it: any answer is the "route"
            res["route_ok"] = res.get("ok") and (expect is None or f" {expect}] reply to:" in res.get("text", ""))
            with lock:
                results.append(res)

    t0 = time.monotonic()
    threads = [threading.Thread(target=user, args=(u, tok)) for u, tok in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.monotonic() - t0, skipped[0]


def summary(mode, results, seconds, skipped):
    ok = [r for r in results if r["ok"]]
    firsts = [r["first"] for r in ok if r.get("first") is not None]
    totals = [r["total"] for r in ok]
    s = {"mode": mode, "chats": len(results), "errors": len(results) - len(ok),
         "wrong_route": sum(1 for r in ok if not r["route_ok"]), "skipped": skipped,
         "seconds": round(seconds, 1), "chats_per_s": round(len(results) / seconds, 2) if seconds else 0}
    for name, xs in (("first", firsts), ("total", totals)):
        for p in (50, 90, 99):
            s[f"{name}_p{p}_ms"] = round(pct(xs, p) * 1000, 1)
    s["sample_errors"] = sorted({r["error"] for r in results if not r["ok"]})[:3]
    return s


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--chats", type=int, default=50, help="streaming chats per user and mode")
    ap.add_argument("--modes", default="without,nofilter,with", help="modes, interleaved")
    ap.add_argument("--order", default="", help="instead: modes run one block after the other, e.g. without,with")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per chat")
    ap.add_argument("--deadline", type=float, default=1500, help="seconds for the whole measured part")
    ap.add_argument("--token-delay", type=float, default=0.01, help="stand-in seconds between chunks")
    ap.add_argument("--reply-words", type=int, default=30, help="extra words per stand-in answer")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="owui-load-"))
    stubs, proxy, owui = [], None, None
    try:
        urls = []
        for name in ("inst-a", "inst-b"):
            p, u = procs.start_ollama_stub(name, log_dir=work, token_delay=a.token_delay, reply_words=a.reply_words)
            stubs.append(p)
            urls.append(u)
        proxy = LiteLLMProxy(urls[0], urls[1], log_dir=work / "litellm", timeout=240)
        owui = OpenWebUI(openai_base_url=proxy.url + "/v1", openai_api_key=proxy.master_key,
                         log_dir=work / "openwebui", timeout=400)
        t = time.monotonic()
        th = threading.Thread(target=proxy.start)
        th.start()
        owui.start()
        th.join()
        print(f"stack up in {time.monotonic() - t:.0f} s (logs: {work})", flush=True)
        admin = owui.signup_admin()
        api_key = owui.create_api_key(admin)
        owui.wait_models(admin.token, ["gpt-chat", "gpt-code", "gpt-vision"], timeout=120)
        from owui_router_filter import install

        out = io.StringIO()
        env = {k: v for k, v in os.environ.items() if not k.startswith("OWUI_")}
        env.update({"OWUI_URL": owui.url, "OWUI_API_KEY": api_key})
        rc = install.run(["install"], env=env, out=out)
        if rc != 0:
            print(out.getvalue())
            return 1
        # Open WebUI resolves a chat's model in its cached model list; listing the models
        # refreshes it, so the new workspace model `auto` is known before the first chat
        owui.api("POST", "/api/v1/models/create", {
            "id": "auto-nofilter", "base_model_id": "gpt-chat", "name": "Auto without filter",
            "meta": {"description": "benchmark baseline", "filterIds": []}, "params": {},
            "access_grants": [{"principal_type": "user", "principal_id": "*", "permission": "read"}]},
            token=admin.token)
        owui.wait_models(admin.token, ["auto", "auto-nofilter", "gpt-chat", "gpt-code", "gpt-vision"], timeout=120)
        tokens = [owui.add_user(admin, f"load{u}@example.com", name=f"Load {u}").token for u in range(a.users)]
        # warm-up, not counted: one chat per user per mode
        modes = a.modes.split(",")
        run_mode(modes, owui.url, tokens, 1, a.timeout, time.monotonic() + 300)
        deadline = time.monotonic() + a.deadline
        rows = []
        if a.order:
            for mode in a.order.split(","):
                res, secs, skipped = run_mode(mode, owui.url, tokens, a.chats, a.timeout, deadline)
                rows.append(summary(mode, res, secs, skipped))
                print("FIGURES " + json.dumps(rows[-1]), flush=True)
        else:
            res, secs, skipped = run_mode(modes, owui.url, tokens, a.chats, a.timeout, deadline)
            print(f"interleaved: {len(res)} chats in {secs:.1f} s ({len(res) / secs:.2f} chats/s), skipped {skipped}")
            for mode in modes:
                rows.append(summary(mode, [r for r in res if r["mode"] == mode], secs, 0))
                rows[-1]["chats_per_s"] = None  # one shared run: only the total rate means something
                print("FIGURES " + json.dumps(rows[-1]), flush=True)
        by = {}
        for s in rows:
            by.setdefault(s["mode"], []).append(s)
        if "with" in by and ("without" in by or "nofilter" in by):
            def med(mode, key):
                return statistics.median(s[key] for s in by[mode])
            keys = ("first_p50_ms", "first_p99_ms", "total_p50_ms", "total_p99_ms")
            for base in ("without", "nofilter"):
                if base in by:
                    ratio = {k: round(med("with", k) / med(base, k), 3) for k in keys if med(base, k)}
                    print(f"FIGURES overhead_ratio_with_over_{base} " + json.dumps(ratio))
            print(f"\n{'mode':<8} {'chats':>5} {'err':>4} {'wrong':>5} {'chats/s':>7} "
                  f"{'first p50':>9} {'p99':>7} {'total p50':>9} {'p99':>7}  (ms)")
            for s in rows:
                print(f"{s['mode']:<8} {s['chats']:>5} {s['errors']:>4} {s['wrong_route']:>5} {str(s['chats_per_s']):>7} "
                      f"{s['first_p50_ms']:>9} {s['first_p99_ms']:>7} {s['total_p50_ms']:>9} {s['total_p99_ms']:>7}")
        return 0 if all(s["errors"] == 0 and s["wrong_route"] == 0 for s in rows) else 1
    finally:
        for thing in (owui, proxy):
            if thing is not None:
                try:
                    thing.stop()
                except Exception:
                    pass
        for p in stubs:
            p.stop()


if __name__ == "__main__":
    sys.exit(main())
