"""Shared pytest setup: makes `tests/support` importable as `support`, and gives the session one
temporary directory that everything the tests start writes under (work dirs, logs, data dirs of the
servers, child pytest sessions), removed at the end of a session that passed. A failed session keeps
it for its logs and says where it is."""
import os
import shutil
import sys
import tempfile

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

_SESSION_TMP = None


def pytest_sessionstart(session):
    global _SESSION_TMP
    _SESSION_TMP = tempfile.mkdtemp(prefix="owui-router-tests-")
    os.chmod(_SESSION_TMP, 0o755)  # servers run as other users (postgres) must reach their dirs inside
    os.environ["TMPDIR"] = _SESSION_TMP  # servers and child processes started by the tests
    tempfile.tempdir = _SESSION_TMP  # tempfile.mkdtemp() in this process


def pytest_sessionfinish(session, exitstatus):
    tempfile.tempdir = None
    if _SESSION_TMP is None:
        return
    if exitstatus == 0:
        shutil.rmtree(_SESSION_TMP, ignore_errors=True)
    else:
        print(f"\n[tests] kept the session's temporary files for their logs: {_SESSION_TMP}", file=sys.stderr)
