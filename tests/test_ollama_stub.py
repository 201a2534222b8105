"""The Ollama stand-in speaks the protocol LiteLLM and Open WebUI rely on (no proxy involved)."""
import json
import signal
import time

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


# ---------------------------------------------------------------- failure behaviours
def _chat(url, model="llama3", stream=False, timeout=10, content="hi there", **kw):
    return requests.post(url + "/api/chat", stream=stream, timeout=timeout, json={
        "model": model, "stream": stream, "messages": [{"role": "user", "content": content}]}, **kw)


@pytest.fixture
def fresh():
    with OllamaStub("inst-f") as s:
        yield s


def test_hang_accepts_and_never_answers_until_cleared(fresh):
    fresh.control(hang=True)
    t = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        _chat(fresh.url, timeout=1.0)
    assert time.monotonic() - t >= 0.9
    # the server itself still answers (a stuck runner, not a dead server)
    assert requests.get(fresh.url + "/api/version", timeout=2).status_code == 200
    with pytest.raises(requests.ReadTimeout):
        _chat(fresh.url, stream=True, timeout=1.0)  # not even the status line of a stream
    s = fresh.stats()
    assert s["hung"] == 2 and s["requests"] == {} and s["hang"] is True

    # a request held when the hang is cleared is closed without an answer; new ones answer
    import threading
    out = {}

    def held():
        try:
            _chat(fresh.url, timeout=10)
            out["r"] = "answered"
        except requests.ConnectionError as e:
            out["r"] = e

    th = threading.Thread(target=held)
    th.start()
    time.sleep(0.5)
    remote_control(fresh.url, hang=False)
    th.join(5)
    assert isinstance(out["r"], requests.ConnectionError), out
    assert _chat(fresh.url).json()["message"]["content"].startswith("[inst-f llama3]")


def test_hang_all_wedges_every_endpoint_but_control(fresh):
    remote_control(fresh.url, hang_all=True)
    with pytest.raises(requests.ReadTimeout):
        requests.get(fresh.url + "/api/tags", timeout=1.0)
    assert remote_stats(fresh.url)["hang_all"] is True
    remote_control(fresh.url, reset=True)  # reset clears every behaviour
    assert requests.get(fresh.url + "/api/tags", timeout=2).status_code == 200


def test_slow_model_load_then_warm(fresh):
    fresh.control(load_seconds=1.5)
    t = time.monotonic()
    r = _chat(fresh.url, stream=True)
    first = None
    for line in r.iter_lines():
        if line:
            first = first or time.monotonic() - t
    assert 1.4 <= first < 5, first  # the first byte waits for the load
    t = time.monotonic()
    _chat(fresh.url)  # warm now
    assert time.monotonic() - t < 1.0
    s = fresh.stats()
    assert s["loads"] == {"llama3": 1} and "llama3" in s["loaded"]
    assert [m["name"] for m in requests.get(fresh.url + "/api/ps", timeout=2).json()["models"]] == ["llama3:latest"]
    # another model is cold on its own; "unload" makes every model cold again
    fresh.control(unload=True)
    assert fresh.stats()["loaded"] == []


def test_a_load_is_aborted_when_its_client_gives_up_like_ollama(fresh):
    fresh.control(load_seconds=1.5)
    with pytest.raises(requests.ReadTimeout):
        _chat(fresh.url, model="mistral", timeout=0.5)
    time.sleep(1.3)  # the load would have finished by now, had it gone on
    t = time.monotonic()
    assert _chat(fresh.url, model="mistral").status_code == 200
    assert time.monotonic() - t >= 1.4  # started again from zero
    s = fresh.stats()
    assert s["loads"] == {"mistral": 2} and s["aborted_loads"] == 1 and s["abandoned"] == 1
    assert 0.3 <= s["abandoned_after"][0] <= 1.5  # the client's 0.5 s timeout


def test_a_load_can_be_made_to_survive_the_client(fresh):
    fresh.control(load_seconds=1.5, load_survives_disconnect=True)
    with pytest.raises(requests.ReadTimeout):
        _chat(fresh.url, model="mistral", timeout=0.5)
    time.sleep(1.3)
    t = time.monotonic()
    assert _chat(fresh.url, model="mistral").status_code == 200
    assert time.monotonic() - t < 1.0  # loaded in the meantime
    s = fresh.stats()
    assert s["loads"] == {"mistral": 1} and s["aborted_loads"] == 0


def test_concurrent_requests_share_one_load(fresh):
    import threading
    fresh.control(load_seconds=1.0)
    t = time.monotonic()
    ths = [threading.Thread(target=_chat, args=(fresh.url,)) for _ in range(3)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(5)
    assert 0.9 <= time.monotonic() - t < 3
    assert fresh.stats()["loads"] == {"llama3": 1}


def test_warm_up_request_loads_without_generating(fresh):
    fresh.control(load_seconds=0.5)
    t = time.monotonic()
    r = requests.post(fresh.url + "/api/chat", json={"model": "llava", "messages": []}, timeout=5)
    assert time.monotonic() - t >= 0.45
    d = r.json()
    assert d["done"] is True and d["done_reason"] == "load" and d["message"]["content"] == ""
    g = requests.post(fresh.url + "/api/generate", json={"model": "llava"}, timeout=5).json()
    assert g["done_reason"] == "load"
    s = fresh.stats()
    assert s["load_requests"] == {"llava": 2} and s["requests"] == {} and "llava" in s["loaded"]


def test_die_mid_stream_cuts_the_stream(fresh):
    fresh.control(die_after_chunks=2, reply_words=10)
    r = _chat(fresh.url, stream=True)
    lines = []
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for line in r.iter_lines():
            if line:
                lines.append(json.loads(line))
    assert len(lines) == 2 and all(c["done"] is False for c in lines)
    with pytest.raises(requests.ConnectionError):
        _chat(fresh.url)  # a non-streaming answer never arrives
    assert fresh.stats()["died"] == 2
    fresh.control(die_after_chunks=None)
    chunks = [json.loads(x) for x in _chat(fresh.url, stream=True).iter_lines() if x]
    assert chunks[-1]["done"] is True
    assert "".join(c["message"]["content"] for c in chunks).endswith(" w9 w10")


def test_slow_tokens(fresh):
    fresh.control(token_delay=0.2)
    t = time.monotonic()
    stamps = []
    for line in _chat(fresh.url, stream=True, content="a b").iter_lines():
        if line:
            stamps.append(time.monotonic() - t)
    assert len(stamps) >= 5
    assert stamps[-1] - stamps[0] >= 0.2 * (len(stamps) - 1) - 0.05
    assert stamps[0] < 0.5  # the first token is not delayed


def test_subprocess_flags_set_the_behaviours(tmp_path):
    proc, url = procs.start_ollama_stub("inst-flags", log_dir=tmp_path, hang=True, load_seconds=3,
                                        die_after_chunks=1, token_delay=0.1, reply_words=4)
    try:
        s = remote_stats(url)
        assert (s["hang"], s["load_seconds"], s["die_after_chunks"], s["token_delay"], s["reply_words"]) == \
            (True, 3.0, 1, 0.1, 4)
        with pytest.raises(requests.ReadTimeout):
            _chat(url, timeout=1.0)
    finally:
        proc.stop()


def test_litellm_health_check_probes_are_counted_apart(fresh):
    r = _chat(fresh.url, content="What's 1 + 1?")
    assert r.status_code == 200
    fresh.set_fail_models(["llama3"])
    assert _chat(fresh.url, content="Hey how's it going?").status_code == 500
    s = fresh.stats()
    assert s["health_checks"] == {"llama3": 2} and s["requests"] == {} and s["failed"] == {}


def test_die_exit_crashes_the_subprocess_mid_stream(tmp_path):
    proc, url = procs.start_ollama_stub("inst-crash", log_dir=tmp_path, die_after_chunks=2, die_exit=True)
    try:
        r = _chat(url, stream=True)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            for _ in r.iter_lines():
                pass
        proc.popen.wait(timeout=5)
        assert proc.popen.returncode == 3
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "/api/version", timeout=2)
    finally:
        proc.stop()


def test_die_exit_does_not_end_an_in_process_stub(fresh):
    fresh.control(die_after_chunks=1, die_exit=True)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        for _ in _chat(fresh.url, stream=True).iter_lines():
            pass
    assert requests.get(fresh.url + "/api/version", timeout=2).status_code == 200


def test_hung_health_check_probes_are_counted_apart(fresh):
    fresh.control(hang=True)
    with pytest.raises(requests.ReadTimeout):
        _chat(fresh.url, content="What's 1 + 1?", timeout=0.5)
    s = fresh.stats()
    assert s["hung"] == 0 and s["hung_health_checks"] == 1
