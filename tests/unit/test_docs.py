"""The README stays true to the code: every valve is documented, and .ci/run runs the README's test command."""

import pathlib
import re

from owui_router_filter.valves import RouterUserValves, RouterValves

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
