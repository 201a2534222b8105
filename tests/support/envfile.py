"""Write the .env a user would have: example files concatenated, with chosen values filled in."""

from __future__ import annotations

from pathlib import Path


def fill_env_file(dest: Path, sources, values: dict) -> Path:
    """Copy `sources` (in order) to `dest`, setting KEY=value for each key of `values` whose
    value is not None (None keeps the example's value). Comments and other lines stay as they are."""
    lines = []
    for src in sources:
        assert Path(src).exists(), f"{src} is missing"
        for line in Path(src).read_text().splitlines():
            key = line.split("=", 1)[0] if "=" in line and not line.startswith("#") else None
            if key in values and values[key] is not None:
                line = f"{key}={values[key]}"
            lines.append(line)
    dest.write_text("\n".join(lines) + "\n")
    return dest
