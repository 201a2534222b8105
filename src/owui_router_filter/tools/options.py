"""Valves given on the command line (--valves JSON, --set key=value), shared by `explain` and `eval`,
and errors as one line."""

import json
import pathlib

from pydantic import ValidationError

from ..function.valves import RouterValves


def parse_assignments(pairs, model=RouterValves) -> dict:
    """['threshold=4', 'vision_model='] -> {'threshold': '4', 'vision_model': ''}; unknown keys are an error."""
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--set {pair!r}: expected key=value")
        if key not in model.model_fields:
            raise ValueError(f"--set {key}: unknown valve; known valves: {', '.join(model.model_fields)}")
        out[key] = value
    return out


def load_valves(spec, pairs=()) -> RouterValves:
    """Valves from a JSON file or inline JSON object, then key=value pairs on top; validated."""
    data = {}
    if spec:
        text = pathlib.Path(spec).read_text(encoding="utf-8") if not spec.lstrip().startswith("{") else spec
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("--valves must be a JSON object")
    data.update(parse_assignments(pairs))
    unknown = sorted(set(data) - set(RouterValves.model_fields))
    if unknown:
        raise ValueError(f"unknown valves: {', '.join(unknown)}; known valves: {', '.join(RouterValves.model_fields)}")
    return RouterValves(**data)


def one_line(error) -> str:
    """An error as one line; pydantic's validation errors become 'field: message; ...'."""
    if isinstance(error, ValidationError):
        return "invalid valves: " + "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in error.errors()
        )
    return " ".join(str(error).split())
