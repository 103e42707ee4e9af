# SPDX-License-Identifier: LGPL-2.1-or-later
"""The CLI's surface that needs no sessions: help, version, usage errors, a daemon that is not running."""
import pytest

from conftest import project_version

# Each verb (and daemon action) with the options its --help must mention.
VERB_HELP = {
    ("daemon",): ["start", "stop"],
    ("daemon", "start"): ["--detach", "--port", "--no-auth", "--no-http", "--password-file", "--reset-password",
                          "--i-understand-no-auth-risk"],
    ("daemon", "stop"): ["--grace"],
    ("start",): ["--title", "--detach", "--disable-notifications", "--cwd", "--node"],
    ("ls",): ["--search", "--json", "--status", "--since", "--until", "--limit", "--node"],
    ("stop",): ["--grace", "--node"],
    ("notify",): ["enable", "disable", "--node"],
    ("skill",): ["skill"],
    ("api-key",): ["add", "ls", "remove", "--json"],
}


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("verb", list(VERB_HELP), ids="-".join)
def test_verb_help(oly_env, verb, flag):
    p = oly_env.run(*verb, flag)
    assert p.returncode == 0, p.stderr
    for opt in VERB_HELP[verb]:
        assert opt in p.stdout, f"'oly {' '.join(verb)} {flag}' does not mention {opt}:\n{p.stdout}"
    assert p.stderr == ""


VERBS = ["daemon", "start", "ls", "stop", "attach", "logs", "send", "notify", "skill", "api-key"]


def test_top_level_help_lists_every_verb(oly_env):
    """The "Verbs:" section names each verb once, at the start of its own line, with a description."""
    p = oly_env.run("--help")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    section = p.stdout.split("\nVerbs:\n", 1)[1].split("\n\n", 1)[0]
    listed = [ln.split(None, 1) for ln in section.splitlines()]
    assert [v[0] for v in listed] == VERBS, section
    assert all(len(v) == 2 and v[1].strip() for v in listed), f"a verb without a description:\n{section}"


def test_no_arguments_is_a_usage_error(oly_env):
    p = oly_env.run()
    assert p.returncode == 2
    assert "usage" in (p.stdout + p.stderr).lower()


def test_unknown_verb_is_a_usage_error(oly_env):
    p = oly_env.run("frobnicate")
    assert p.returncode == 2
    assert "frobnicate" in p.stderr


@pytest.mark.parametrize("args", [("ls", "--bogus"), ("start", "--bogus", "true"), ("stop", "--bogus"),
                                  ("daemon", "start", "--bogus"), ("daemon", "frob"), ("daemon",),
                                  ("notify",), ("skill", "extra")], ids=" ".join)
def test_bad_arguments_are_usage_errors(oly, args):
    p = oly.run(*args)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "oly" in p.stderr
    bad = [a for a in args if a in ("--bogus", "frob", "extra")]
    for a in bad:
        assert a in p.stderr, f"the message does not name {a}: {p.stderr}"


def test_version(oly_env):
    p = oly_env.run("--version")
    assert p.returncode == 0
    assert p.stdout == f"oly {project_version()}\n"


@pytest.mark.parametrize("args", [("ls",), ("start", "--detach", "x"), ("stop",), ("notify", "enable")],
                         ids=" ".join)
def test_daemon_not_running(oly_env, args):
    p = oly_env.run(*args)
    assert p.returncode == 1
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{p.stderr}"
    assert "not running" in lines[0]
    assert "oly daemon start" in lines[0]


def test_skill_prints_markdown(oly_env):
    p = oly_env.run("skill")
    assert p.returncode == 0
    assert p.stdout.lstrip().startswith("#"), "not markdown: no heading first"
    assert "oly start" in p.stdout
    assert "oly ls" in p.stdout
