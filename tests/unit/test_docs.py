"""The README stays true to the code: every valve is documented, and .ci/run runs the README's test command."""

import pathlib
import re

from owui_router_filter.function.valves import RouterUserValves, RouterValves

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def table_rows(text):
    return {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)` \| (\w+) \|.*$", text, re.M)}


def test_every_valve_is_in_the_readme_with_its_type():
    rows = table_rows(README)
    for model in (RouterValves, RouterUserValves):
        for name, info in model.model_fields.items():
            assert name in rows, f"valve {name} is missing from the README"
            assert f"| {info.annotation.__name__} |" in rows[name], f"valve {name}: wrong type in the README"


def test_ci_runs_the_readme_test_command():
    block = re.search(r"## Testing.*?```console\n(.*?)```", README, re.S).group(1)
    commands = [line[2:].strip() for line in block.splitlines() if line.startswith("$ ")]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = commands[-1]
    assert test_command == "python -m pytest"
    assert re.search(rf"^{re.escape(test_command)}\s*$", ci, re.M), ".ci/run must run the README's test command"


def test_readme_explain_examples_show_the_real_output():
    """Each `$ owui-router explain "..."` block of the README shows what the command prints today."""
    import shlex
    import subprocess
    import sys

    blocks = re.findall(r"```console\n\$ (owui-router explain [^\n|]+)\n(.*?)```", README, re.S)
    assert blocks, "the README shows no owui-router explain example"
    for command, shown in blocks:
        args = shlex.split(command)[1:]
        proc = subprocess.run([sys.executable, "-m", "owui_router_filter.tools.cli", *args],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.rstrip("\n") == shown.rstrip("\n"), f"README's output of `{command}` is stale"
