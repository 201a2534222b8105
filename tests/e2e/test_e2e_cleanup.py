"""The e2e stack is stopped at the end of a session even when a test fails.

Runs a separate pytest session (a subprocess) whose only test uses the same session fixture as
the rest of tests/e2e, writes down the process groups of every server, and fails on purpose.
Afterwards none of those process groups may be alive and none of their ports may answer.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from support import procs

pytestmark = [pytest.mark.e2e]

TESTS_DIR = procs.REPO_ROOT / "tests"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_servers_are_stopped_when_a_test_fails(tmp_path):
    record = tmp_path / "servers.json"
    (tmp_path / "conftest.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(TESTS_DIR)!r})
        from e2e.conftest import stack, installed, pytest_terminal_summary  # noqa: F401
    """))
    (tmp_path / "test_fails.py").write_text(textwrap.dedent(f"""
        import json

        def test_fails_on_purpose(installed):
            s = installed
            procs = [s.owui.proc, s.proxy.proc] + [p for p, _, _ in s.stubs.values()]
            ports = [s.owui.port, s.proxy.port] + [port for _, _, port in s.stubs.values()]
            open({str(record)!r}, "w").write(json.dumps({{"pgids": [p.pid for p in procs], "ports": ports}}))
            assert s.chat("auto", "Write a Python function that adds two numbers").status == 200
            assert False, "failing on purpose"
    """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=str(tmp_path), env=env,
    )
    assert r.returncode == 1, f"the inner session should fail exactly by its test:\n{r.stdout[-3000:]}\n{r.stderr[-2000:]}"
    assert "failing on purpose" in r.stdout, r.stdout[-3000:]
    servers = json.loads(record.read_text())
    assert len(servers["pgids"]) == 4
    alive = [g for g in servers["pgids"] if _group_alive(g)]
    listening = [p for p in servers["ports"] if _port_open(p)]
    assert not alive, f"process groups still alive after the failed session: {alive}"
    assert not listening, f"ports still answering after the failed session: {listening}"
