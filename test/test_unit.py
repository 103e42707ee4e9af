# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs each C unit-test binary of the build (build/src/**/test-*) as a pytest test, so that one pytest
summary counts every test."""
import os
import subprocess

import pytest

from conftest import BUILD


def _unit_tests():
    found = []
    for p in sorted((BUILD / "src").rglob("test-*")):
        # Executables only: not meson's test-foo.p object directories nor anything inside them.
        if p.is_file() and os.access(p, os.X_OK) and not any(part.endswith(".p") for part in p.relative_to(BUILD).parts):
            found.append(p)
    return found


UNIT_TESTS = _unit_tests()


@pytest.mark.parametrize("binary", UNIT_TESTS, ids=[str(p.relative_to(BUILD)) for p in UNIT_TESTS])
def test_unit(binary):
    p = subprocess.run([str(binary)], capture_output=True, text=True, timeout=300, cwd=BUILD,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, f"{binary.name} exited with {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"


def test_unit_tests_were_found():
    assert UNIT_TESTS, f"no C unit tests under {BUILD / 'src'}: is the build complete?"
