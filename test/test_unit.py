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


# The fuzz targets, built as plain programs, run their seed corpus (src/fuzz/corpus/<prefix>*).
FUZZ_TARGETS = {"fuzz-keyspec": "keyspec-", "fuzz-frames": "frames-", "fuzz-config": "config-",
                "fuzz-argv-split": "argv-", "fuzz-duration": "duration-", "fuzz-http-head": "http-head-",
                "fuzz-http-body": "http-body-", "fuzz-sse-id": "sse-id-", "fuzz-argon2-phc": "argon2-phc-",
                "fuzz-ws-scan": "ws-scan-", "fuzz-link": "link-"}


@pytest.mark.parametrize("name,prefix", sorted(FUZZ_TARGETS.items()), ids=sorted(FUZZ_TARGETS))
def test_fuzz_seeds(name, prefix):
    from conftest import REPO
    corpus = REPO / "src" / "fuzz" / "corpus"
    seeds = sorted(str(p) for p in corpus.glob(prefix + "*"))
    assert seeds, f"no seeds for {name} in {corpus}"
    binary = BUILD / "src" / "fuzz" / name
    assert binary.exists(), f"{binary} is not built"
    p = subprocess.run([str(binary), *seeds], capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, f"{name} exited with {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    assert f"{len(seeds)} input(s) run" in p.stdout
