"""requirements.lock, which scripts/setup.sh installs with --require-hashes,
pins every requirement of setup.cfg at a version the requirement allows,
each with the hashes of its files: a changed setup.cfg without a new lock
(scripts/lock.sh) fails here, not on a fresh machine."""
from __future__ import annotations

import configparser
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def requirements() -> list[Requirement]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].splitlines()
    for extra in ("server", "test"):
        lines += cfg["options.extras_require"][extra].splitlines()
    return [Requirement(line.split("#")[0].strip()) for line in lines
            if line.split("#")[0].strip()]


def locked() -> dict[str, tuple[str, int]]:
    text = (ROOT / "requirements.lock").read_text()
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if match:
            pins[canonicalize_name(match[1])] = (match[2], block.count("--hash=sha256:"))
    return pins


def test_every_requirement_is_locked_at_an_allowed_version_with_hashes():
    pins = locked()
    for requirement in requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: run scripts/lock.sh"
        version, hashes = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock has {name}=={version}, setup.cfg asks {requirement.specifier}")
        assert hashes >= 1, f"{name} has no hash in requirements.lock"


def test_the_build_tools_of_the_editable_install_are_locked_too():
    assert {"setuptools", "wheel"} <= set(locked())
    assert all(hashes for _version, hashes in locked().values())
