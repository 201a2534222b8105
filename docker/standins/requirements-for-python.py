"""Print the requirements of the running environment's packages that a Python of another patch
version (argv[1], e.g. the image's 3.11.2) needs but this one (the venv's, e.g. 3.11.7) did not
install: markers such as `python_full_version < "3.11.3"` (redis -> async-timeout).
scripts/build-standin-images.sh adds them to the copied site-packages."""
import importlib.metadata as md
import sys

try:
    from packaging.requirements import Requirement
except ImportError:  # pip's vendored copy
    from pip._vendor.packaging.requirements import Requirement


def norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


version = sys.argv[1]
env = {"python_full_version": version, "python_version": ".".join(version.split(".")[:2])}
installed = {norm(d.metadata["Name"]) for d in md.distributions()}
need = set()
for dist in md.distributions():
    for spec in dist.requires or []:
        try:
            req = Requirement(spec)
        except Exception:
            continue
        if not req.marker or "extra" in str(req.marker) or norm(req.name) in installed:
            continue
        if req.marker.evaluate(env):
            need.add(f"{req.name}{req.specifier}")
print("\n".join(sorted(need)))
