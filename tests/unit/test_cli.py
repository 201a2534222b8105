"""The owui-router command, run as a user runs it (a subprocess of the installed console script)."""

import json
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def cli(*args, stdin=None):
    exe = shutil.which("owui-router")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "owui_router_filter.tools.cli", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_explain_a_prompt():
    proc = cli("explain", "Crie uma função em Python que some dois números")
    assert proc.returncode == 0, proc.stderr
    assert "model:      gpt-code" in proc.stdout
    assert "status:     gpt-code: python" in proc.stdout


def test_explain_from_stdin_as_json():
    proc = cli("explain", "--json", stdin="Resuma este texto sobre a economia do Brasil")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["route"] == "chat" and data["model"] == "gpt-chat"
    assert data["status"].startswith("gpt-chat: ")


def test_explain_a_messages_file_with_valves(tmp_path):
    messages = [
        {"role": "user", "content": "write a python function that reverses a string"},
        {"role": "assistant", "content": "```python\ndef rev(s):\n    return s[::-1]\n```"},
        {"role": "user", "content": "agora em JavaScript"},
    ]
    path = tmp_path / "conv.json"
    path.write_text(json.dumps({"messages": messages}))
    proc = cli("explain", "--messages", str(path), "--json", "--set", "code_model=coder", "--valves", '{"chat_model": "talker"}')
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["model"] == "coder"
    proc = cli("explain", "--messages", str(path), "--json", "--set", "history_depth=0", "--set", "code_model=coder")
    assert json.loads(proc.stdout)["route"] == "code"  # 'JavaScript' alone is a code word


def test_bad_valves_give_a_one_line_error():
    proc = cli("explain", "hi", "--set", "nonsense=1")
    assert proc.returncode == 2
    assert proc.stderr.startswith("owui-router: ") and "nonsense" in proc.stderr
    proc = cli("explain", "hi", "--set", "threshold=high")
    assert proc.returncode == 2 and "threshold" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_build_check_and_write(tmp_path):
    assert cli("build", "--check").returncode == 0
    out = tmp_path / "f.py"
    proc = cli("build", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == (ROOT / "functions" / "router_filter.py").read_text()
    out.write_text(out.read_text() + "\n# edited by hand\n")
    proc = cli("build", "--check", "--output", str(out))
    assert proc.returncode == 1 and "out of date" in proc.stderr


def test_an_unknown_valve_is_named_with_the_known_ones():
    proc = cli("explain", "--set", "nosuch=1", "hi")
    assert proc.returncode == 2
    line = proc.stderr.strip()
    assert "nosuch" in line and "unknown valve" in line and "threshold" in line and "code_model" in line
    assert len(line.splitlines()) == 1


def test_an_empty_prompt_is_not_explained():
    for stdin in ("", "  \n\t\n"):
        proc = cli("explain", stdin=stdin)
        assert proc.returncode == 2
        assert "nothing to explain" in proc.stderr and proc.stdout == ""


def test_a_closed_pipe_is_not_an_error():
    """`owui-router explain ... | head -1`: the reader closing the pipe is no error."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to stdout fails with EPIPE
    exe = shutil.which("owui-router")
    cmd = [exe] if exe else [sys.executable, "-m", "owui_router_filter.tools.cli"]
    try:
        proc = subprocess.run([*cmd, "explain", "def f(x): return x"], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=60, cwd=ROOT)
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert "Broken pipe" not in proc.stderr and "Errno" not in proc.stderr, proc.stderr
