"""The Ollama stand-in speaks the protocol LiteLLM and Open WebUI rely on (no proxy involved)."""
import json
import signal

import pytest
import requests

from support import procs
from support.ollama_stub import OllamaStub, remote_control, remote_stats

PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


@pytest.fixture(scope="module")
def stub():
    with OllamaStub("inst-t") as s:
        yield s


def test_root_version_tags_show(stub):
    assert requests.get(stub.url + "/", timeout=5).text == "Ollama is running"
    assert "version" in requests.get(stub.url + "/api/version", timeout=5).json()
    names = {m["name"] for m in requests.get(stub.url + "/api/tags", timeout=5).json()["models"]}
    assert {"llama3:latest", "deepseek-coder:latest", "llava:latest", "mistral:latest"} <= names
    show = requests.post(stub.url + "/api/show", json={"name": "llava"}, timeout=5).json()
    assert "vision" in show["capabilities"] and "template" in show and show["model_info"]
    assert requests.post(stub.url + "/api/show", json={"model": "nope"}, timeout=5).status_code == 404


def test_chat_non_stream_names_instance_and_model(stub):
    r = requests.post(stub.url + "/api/chat", timeout=5, json={
        "model": "llama3", "stream": False, "options": {},
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello  world"}]})
    assert r.status_code == 200
    d = r.json()
    assert d["message"]["content"] == "[inst-t llama3] reply to: hello world"
    assert d["done"] is True and d["done_reason"] == "stop"
    assert isinstance(d["prompt_eval_count"], int) and isinstance(d["eval_count"], int)


def test_chat_stream_is_ndjson(stub):
    r = requests.post(stub.url + "/api/chat", stream=True, timeout=5, json={
        "model": "deepseek-coder:latest", "messages": [{"role": "user", "content": "def f(): pass"}]})
    assert r.headers["Content-Type"].startswith("application/x-ndjson")
    chunks = [json.loads(line) for line in r.iter_lines() if line]
    assert len(chunks) > 2 and all("model" in c and "message" in c and "done" in c for c in chunks)
    assert chunks[-1]["done"] is True and "eval_count" in chunks[-1]
    assert all(c["done"] is False for c in chunks[:-1])
    text = "".join(c["message"]["content"] for c in chunks)
    assert text.startswith("[inst-t deepseek-coder] reply to: def f(): pass")


def test_chat_accepts_images(stub):
    before = stub.stats()["images"]
    r = requests.post(stub.url + "/api/chat", timeout=5, json={
        "model": "llava", "stream": False,
        "messages": [{"role": "user", "content": "what is this?", "images": [PNG_1PX]}]})
    assert r.status_code == 200
    assert "(saw 1 image)" in r.json()["message"]["content"]
    assert stub.stats()["images"] == before + 1


def test_generate_both_modes(stub):
    d = requests.post(stub.url + "/api/generate", timeout=5,
                      json={"model": "mistral", "prompt": "hi", "stream": False}).json()
    assert d["response"].startswith("[inst-t mistral]") and d["done"] is True
    r = requests.post(stub.url + "/api/generate", timeout=5, stream=True, json={"model": "mistral", "prompt": "hi"})
    chunks = [json.loads(line) for line in r.iter_lines() if line]
    assert "".join(c["response"] for c in chunks).startswith("[inst-t mistral]")
    assert chunks[-1]["done"] is True


def test_embed(stub):
    d = requests.post(stub.url + "/api/embed", json={"model": "llama3", "input": ["a", "b"]}, timeout=5).json()
    assert len(d["embeddings"]) == 2 and d["embeddings"][0] != d["embeddings"][1]


def test_unknown_model_404_and_fail_control(stub):
    r = requests.post(stub.url + "/api/chat", json={"model": "gpt-4", "messages": []}, timeout=5)
    assert r.status_code == 404 and "error" in r.json()
    stub.reset()
    remote_control(stub.url, fail_models=["llama3"])
    try:
        r = requests.post(stub.url + "/api/chat", timeout=5,
                          json={"model": "llama3", "stream": False, "messages": [{"role": "user", "content": "x"}]})
        assert r.status_code == 500 and "error" in r.json()
        ok = requests.post(stub.url + "/api/chat", timeout=5,
                           json={"model": "mistral", "stream": False, "messages": [{"role": "user", "content": "x"}]})
        assert ok.status_code == 200
    finally:
        remote_control(stub.url, fail_models=[])
    s = remote_stats(stub.url)
    assert s["failed"] == {"llama3": 1} and s["requests"] == {"mistral": 1}


def test_pull_adds_model(stub):
    r = requests.post(stub.url + "/api/pull", json={"model": "phi3"}, stream=True, timeout=5)
    statuses = [json.loads(line)["status"] for line in r.iter_lines() if line]
    assert statuses[-1] == "success"
    names = {m["name"] for m in requests.get(stub.url + "/api/tags", timeout=5).json()["models"]}
    assert "phi3:latest" in names


def test_subprocess_mode_can_be_killed_hard(tmp_path):
    proc, url = procs.start_ollama_stub("inst-sub", log_dir=tmp_path)
    try:
        d = requests.post(url + "/api/chat", timeout=5, json={
            "model": "llama3", "stream": False, "messages": [{"role": "user", "content": "ping"}]}).json()
        assert d["message"]["content"].startswith("[inst-sub llama3]")
        assert remote_stats(url)["requests"] == {"llama3": 1}
        proc.kill_hard()
        assert proc.popen.returncode == -signal.SIGKILL
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "/api/version", timeout=2)
    finally:
        proc.stop()


def test_missing_venv_fails_with_setup_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("OWUI_ROUTER_VENVS", str(tmp_path))
    with pytest.raises(RuntimeError, match="setup-test-env.sh litellm"):
        procs.venv_bin("litellm", "litellm")
