# SPDX-License-Identifier: LGPL-2.1-or-later
"""Input-needed detection with real programs: what is flagged (and with which trigger), what is not,
what clears the state, the silence rule, and the prompt settings of config.json."""
import shutil
import subprocess
import time

import pytest

from conftest import daemon_start_fails, session_path, wait_until, write_config
from promptutil import PY, Watch, assert_waiting, busctl_str, input_needed, line, popen_wait_for_prompt, \
    prop, touch, trigger, wait_cleared, wait_for_prompt, wait_go, wait_trigger


# ---- positives: each must be flagged with the right trigger ----

POSITIVES = [
    # (id, argv, trigger, the InputLine (trailing blanks aside))
    ("bash-read-yes-no", ["bash", "-c", "read -p 'Continue? (y/n) ' x"], "yes-no", "Continue? (y/n)"),
    ("python-input", [PY, "-c", 'input("Name? ")'], "question", "Name?"),
    ("python-getpass", [PY, "-c", "import getpass; getpass.getpass()"], "password", "Password:"),
    ("bash-interactive", ["bash", "--norc", "--noprofile"], "shell", None),
    ("python-repl", [PY, "-q"], "shell", ">>>"),
    ("gdb-repl", ["gdb", "-q", "-nx"], "repl", "(gdb)"),
    ("sudo-like", ["sh", "-c", "printf '[sudo] password for alice: '; read x"], "password",
     "[sudo] password for alice:"),
    ("overwrite-y-N", ["sh", "-c", "printf 'Overwrite existing file? [y/N] '; read x"], "yes-no",
     "Overwrite existing file? [y/N]"),
    ("verification-code", ["sh", "-c", "printf 'Enter the verification code: '; read x"], "secret",
     "Enter the verification code:"),
    ("question-line", ["sh", "-c", "printf '? Project name: my-app'; read x"], "question-line",
     "? Project name: my-app"),
    ("unicode-shell-prompt", ["sh", "-c", "printf '~/src on main \u276f '; read x"], "shell", "~/src on main \u276f"),
    ("yes-no-on-its-own-line", ["sh", "-c", "echo 'Delete 3 files? (y/n)'; read x"], "yes-no",
     "Delete 3 files? (y/n)"),
]


@pytest.mark.parametrize("argv,expect,expect_line", [p[1:] for p in POSITIVES], ids=[p[0] for p in POSITIVES])
def test_prompt_is_detected(oly, argv, expect, expect_line):
    if argv[0] == "gdb" and not shutil.which("gdb"):
        pytest.skip("gdb is not installed (apt-get install gdb)")
    sid = oly.start_detached(*argv)
    p = assert_waiting(oly, sid, expect)
    got = line(oly, sid)
    if expect_line is not None:
        assert got.rstrip() == expect_line
    else:  # bash's default prompt: bash-5.2$ or bash-5.2#
        assert got.rstrip()[-1:] in ("$", "#"), got
    # The logs printed after the wait show the prompt too.
    assert got.strip() in p.stdout


def test_ssh_keygen_passphrase(oly, tmp_path):
    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen is not installed (apt-get install openssh-client)")
    sid = oly.start_detached("ssh-keygen", "-t", "ed25519", "-f", tmp_path / "key")
    assert_waiting(oly, sid, "password")
    assert line(oly, sid).startswith("Enter passphrase")
    oly.ok("send", sid, "key:enter")  # empty passphrase: then "Enter same passphrase again: "
    wait_until(lambda: "again" in line(oly, sid), 15, interval=0.1, what="the second passphrase prompt")
    assert trigger(oly, sid) == busctl_str("password")
    oly.ok("send", sid, "key:enter")
    oly.wait_status(sid, "stopped", timeout=20)
    assert (tmp_path / "key.pub").exists()


def _installed(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return p.returncode == 0 and p.stdout.endswith(" installed")


def test_apt_get_confirmation(oly):
    """apt-get's "Do you want to continue? [Y/n]". 'apt-get -s' and '--dry-run' never ask, so this asks
    for real but cannot change the machine: it removes a package nobody depends on (one of the test
    dependencies) with dpkg replaced by /bin/false, no lock taken and no package cache written, and it
    is answered 'n'. Without apt-get (or that package) the same text is printed by sh instead."""
    pkg = next((p for p in ("python3-pyte", "gdb") if shutil.which("apt-get") and _installed(p)), None)
    if pkg:
        argv = ["apt-get", "-o", "APT::Get::Assume-Yes=false", "-o", "Debug::NoLocking=true",
                "-o", "Dir::Bin::dpkg=/bin/false", "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
                "remove", pkg]
    else:  # a simulation of the same prompt
        argv = ["sh", "-c", "printf 'After this operation, 1 MB will be used.\\nDo you want to continue? [Y/n] '; "
                            "read x"]
    sid = oly.start_detached(*argv)
    assert_waiting(oly, sid, "yes-no", timeout="60s")
    assert line(oly, sid).rstrip() == "Do you want to continue? [Y/n]"
    oly.ok("send", sid, "n", "key:enter")
    s = oly.wait_status(sid, ("stopped", "failed"), timeout=30)
    if pkg:
        assert b"Abort" in oly.log(sid)
        assert s["exit_code"] == 1
        assert _installed(pkg)


def test_gdb_quit_anyway_y_or_n(oly):
    if not shutil.which("gdb"):
        pytest.skip("gdb is not installed (apt-get install gdb)")
    sid = oly.start_detached("gdb", "-q", "-nx", "--args", "sleep", "100")
    assert_waiting(oly, sid, "repl")
    oly.ok("send", sid, "run", "key:enter")
    # While the program runs, gdb does not wait for us.
    wait_until(lambda: b"Starting program" in oly.log(sid), 20, what="the program to start")
    time.sleep(1)
    assert input_needed(oly, sid) == (False, False)
    oly.ok("send", sid, "key:ctrl+c")
    wait_until(lambda: b"SIGINT" in oly.log(sid), 20, what="gdb to stop the program")
    wait_trigger(oly, sid, "repl")
    oly.ok("send", sid, "quit", "key:enter")
    wait_trigger(oly, sid, "y-or-n")
    assert line(oly, sid).rstrip() == "Quit anyway? (y or n)"
    p, _ = wait_for_prompt(oly, sid)
    assert p.returncode == 0 and "Quit anyway? (y or n)" in p.stdout
    oly.ok("send", sid, "y", "key:enter")
    oly.wait_status(sid, ("stopped", "failed"), timeout=20)


def test_gdb_query_with_a_default_answer(oly):
    """gdb's queries with a default answer read "(y or [n])" (here: a breakpoint on an unknown function).
    That is gdb waiting for a yes-or-no answer just like "(y or n)"."""
    if not shutil.which("gdb"):
        pytest.skip("gdb is not installed (apt-get install gdb)")
    sid = oly.start_detached("gdb", "-q", "-nx", "-ex", "break no_such_function", "/bin/true")
    wait_until(lambda: b"(y or [n]) " in oly.log(sid), 20, what="gdb's query")
    assert_waiting(oly, sid, "y-or-n")
    assert line(oly, sid).rstrip() == "Make breakpoint pending on future shared library load? (y or [n])"


@pytest.mark.parametrize("text", ["Press Enter to continue...", "Press any key to continue . . . ",
                                  "Hit RETURN to continue: "])
def test_press_enter_to_continue(oly, text):
    """The press-enter rule: the usual wording goes on after "press enter" ("to continue..."), and such a
    prompt waits for a key as much as one that stops at "enter" does."""
    sid = oly.start_detached("sh", "-c", f"printf '{text}'; read x")
    assert_waiting(oly, sid, "press-enter")
    assert line(oly, sid).rstrip() == text.rstrip()


# ---- negatives: never flagged ----

def assert_never_flagged(o, sid, timeout, expect_rc, watch, poll=0.5):
    """Runs wait-for-prompt with that timeout in the background and, while it runs, checks that the
    session never needs input (ls, the property, and no InputNeeded signal)."""
    p, t0 = popen_wait_for_prompt(o, sid, timeout)
    try:
        while p.poll() is None:
            watch.pump(poll)
            assert input_needed(o, sid) == (False, False), f"flagged: {prop(o, sid, 'InputTrigger')} " \
                                                           f"{line(o, sid)!r}"
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    watch.pump(0)
    assert watch.of("InputNeeded", sid) == [], [m.body for m in watch.of("InputNeeded", sid)]
    assert True not in watch.input_needed_changes(sid)
    assert p.returncode == expect_rc, f"wait-for-prompt -> {p.returncode} after {time.monotonic() - t0:.1f}s: " \
                                      f"{err}\n{out[-300:]}"
    return out, err


def start_never_flagged(o, argv, timeout, expect_rc):
    """Starts argv as a session and checks with assert_never_flagged that it is never flagged while
    wait-for-prompt runs with that timeout; returns (sid, wait-for-prompt's stdout)."""
    with Watch(o) as w:
        sid = o.start_detached(*argv)
        out, _ = assert_never_flagged(o, sid, timeout, expect_rc, w)
    return sid, out


NEGATIVES = [
    # (id, argv, wait-for-prompt --timeout, its exit code (3: the session ended, 124: the timeout), a text
    # the logs it prints must hold)
    # A build printing a line every 0.1 s for 20 s. Exit 3 when it ends (the brief's 21 s timeout is too
    # close to the loop's own ~20.5 s run on a loaded machine: 60 s here; it must never return 0).
    ("build-printing-continuously",
     ["bash", "-c", 'for i in $(seq 200); do echo "compiling unit $i"; sleep 0.1; done'], "60s", 3,
     "compiling unit 200"),
    # One line redrawn with \r, pausing longer than prompt_idle_ms between steps so that the detector
    # looks at a half-drawn bar (cursor right after "40%"), ending with a newline.
    ("progress-bar-redrawn-with-cr",
     ["bash", "-c", "for i in $(seq 0 10 100); do "
                    "printf '\\rDownloading [%-10s] %3d%%' \"$(head -c $((i / 10)) /dev/zero | tr '\\0' '#')\" $i; "
                    "sleep 0.5; done; echo"], "30s", 3, "Downloading [##########] 100%"),
    ("sleep", ["sleep", "30"], "3s", 124, None),
    # 'password: updated' is a log line, not a prompt: the program goes on (silently for 5 s, longer than
    # prompt_idle_ms), then prints more.
    ("log-line-mentioning-password",
     ["sh", "-c", 'echo "password: updated"; sleep 5; echo "more work"; sleep 1; echo done'], "30s", 3,
     "password: updated\nmore work\ndone\n"),
    # "Continue? (y/n) y": the answer follows the prompt on its line.
    ("answered-prompt", ["sh", "-c", "printf 'Continue? (y/n) y'; sleep 4"], "30s", 3, "Continue? (y/n) y"),
    ("question-in-a-log-line", ["sh", "-c", "echo 'Why did the job fail?'; echo 'see the log'; sleep 4"], "30s", 3,
     "Why did the job fail?"),
]


@pytest.mark.parametrize("argv,timeout,expect_rc,expect_out", [n[1:] for n in NEGATIVES],
                         ids=[n[0] for n in NEGATIVES])
def test_not_flagged(oly, argv, timeout, expect_rc, expect_out):
    _, out = start_never_flagged(oly, argv, timeout, expect_rc)
    if expect_out is not None:
        assert expect_out in out, out[-500:]


def test_tail_f_is_not_flagged(oly, tmp_path):
    f = tmp_path / "server.log"
    f.write_text("starting server\nlistening on port 8080\naccepted connection from 10.0.0.7\n")
    _, out = start_never_flagged(oly, ["tail", "-f", f], "3s", 124)
    assert "accepted connection" in out


# ---- what clears it ----

def test_cleared_by_send(oly):
    sid = oly.start_detached("bash", "-c", "read -p 'Continue? (y/n) ' x; echo \"got $x\"; exec sleep 30")
    assert_waiting(oly, sid, "yes-no")
    with Watch(oly) as w:
        oly.ok("send", sid, "y", "key:enter")
        # Input clears it at once (the daemon does not wait for the echo).
        wait_cleared(oly, sid)
        w.wait(lambda m: m.member == "PropertiesChanged" and m.path == session_path(sid)
               and m.body[1].get("InputNeeded") is False, what="InputNeeded going false")
        assert prop(oly, sid, "InputTrigger") == 's ""'
        assert line(oly, sid) == ""
        # The answered prompt ("Continue? (y/n) y" then "got y") does not come back.
        w.pump(2)
        assert input_needed(oly, sid) == (False, False)
        assert w.of("InputNeeded", sid) == []
    assert b"got y" in oly.log(sid)
    assert oly.session(sid)["status"] == "running"


def test_cleared_by_typing_in_an_attached_terminal(oly):
    from ptyutil import PtyProc
    from conftest import OLY
    sid = oly.start_detached("bash", "-c", "read -p 'Continue? (y/n) ' x; echo \"got $x\"; exec sleep 30")
    assert_waiting(oly, sid, "yes-no")
    with PtyProc([OLY, "attach", sid], env=oly.env) as p:
        p.wait_for("Continue? (y/n)", what="the prompt in the attached terminal")
        p.write(b"n\r")
        p.wait_for("got n", what="the answer's echo")
        wait_cleared(oly, sid)
        time.sleep(1)
        assert input_needed(oly, sid) == (False, False)
        p.write(b"\x1dd")
        p.wait(20)


def test_cleared_by_new_output(oly, tmp_path):
    """The program stops waiting on its own (a timeout, say) and prints more: the state clears when the
    output comes, and stays clear while it works on silently. The new output pushes the prompt more than
    three lines up (a prompt line just above the cursor still counts, by design)."""
    go = tmp_path / "go"
    sid = oly.start_detached("sh", "-c", f"printf 'Continue? (y/n) '; {wait_go(go)}; "
                                         "printf '\\nno answer: going on\\nstep 1\\nstep 2\\nstep 3\\nstep 4\\n'; "
                                         "exec sleep 30")
    assert_waiting(oly, sid, "yes-no")
    with Watch(oly) as w:
        touch(go)
        wait_cleared(oly, sid)
        w.pump(2)
        assert input_needed(oly, sid) == (False, False)
        assert w.input_needed_changes(sid) == [False]
        assert w.of("InputNeeded", sid) == []


def test_a_new_prompt_after_output_is_flagged_again(oly, tmp_path):
    go = tmp_path / "go"
    sid = oly.start_detached("sh", "-c", f"printf 'Name? '; {wait_go(go)}; printf '\\nworking\\nPassword: '; "
                                         "read x")
    assert_waiting(oly, sid, "question")
    touch(go)
    wait_trigger(oly, sid, "password")
    assert line(oly, sid).rstrip() == "Password:"


def test_exit_clears_it(oly, tmp_path):
    go = tmp_path / "go"
    sid = oly.start_detached("sh", "-c", f"printf 'Continue? (y/n) '; {wait_go(go)}")
    assert_waiting(oly, sid, "yes-no")
    touch(go)
    oly.wait_status(sid, "stopped", timeout=20)
    assert input_needed(oly, sid) == (False, False)
    p, _ = wait_for_prompt(oly, sid, "5s")
    assert p.returncode == 3


# ---- silence ----

def test_silence_with_the_cursor_after_text(oly_env):
    write_config(oly_env, {"prompt_silence_seconds": 1})
    oly_env.daemon_start()
    sid = oly_env.start_detached("sh", "-c", "printf 'Enter value: '; read x")  # no rule knows "value:"
    assert_waiting(oly_env, sid, "silence")
    assert line(oly_env, sid) == "Enter value:"


NOT_FLAGGED_WITH_CONFIG = [
    # (id, config.json (None: none written), argv)
    ("silence-with-the-cursor-at-the-start-of-a-line", {"prompt_silence_seconds": 1},
     ["sh", "-c", "echo 'working on it'; sleep 30"]),
    ("silence-zero-disables-it", {"prompt_silence_seconds": 0}, ["sh", "-c", "printf 'Enter value: '; read x"]),
    # The default prompt_silence_seconds is 60: an unknown prompt is not flagged within 4 s.
    ("default-silence-is-not-a-few-seconds", None, ["sh", "-c", "printf 'Enter value: '; read x"]),
    ("prompt-patterns-are-case-sensitive-without-i", {"prompt_patterns": ["deploy now\\?"]},
     ["sh", "-c", "printf 'Deploy now? '; read x"]),
]


@pytest.mark.parametrize("config,argv", [n[1:] for n in NOT_FLAGGED_WITH_CONFIG],
                         ids=[n[0] for n in NOT_FLAGGED_WITH_CONFIG])
def test_not_flagged_with_config(oly_env, config, argv):
    if config is not None:
        write_config(oly_env, config)
    oly_env.daemon_start()
    start_never_flagged(oly_env, argv, "4s", 124)


# ---- prompt settings in config.json ----

def test_prompt_idle_ms(oly_env):
    write_config(oly_env, {"prompt_idle_ms": 3000})
    oly_env.daemon_start()
    sid = oly_env.start_detached("bash", "-c", "read -p 'Continue? (y/n) ' x")
    p, _ = wait_for_prompt(oly_env, sid, "1s")
    assert p.returncode == 124, "flagged before 3 s of quiet"
    assert_waiting(oly_env, sid, "yes-no")


@pytest.mark.parametrize("field", ["prompt_patterns_extra", "prompt_patterns"])
def test_invalid_pattern_is_a_config_error(oly_env, field):
    # Also a regression test: the daemon wrote its VAPID key into config.json before compiling the patterns.
    err = daemon_start_fails(oly_env, {field: ["fine (y/n)", "(unclosed["]})
    assert "(unclosed[" in err
    assert "config.json" in err


@pytest.mark.parametrize("field,value", [("prompt_idle_ms", 19), ("prompt_idle_ms", 60001),
                                         ("prompt_silence_seconds", -1), ("prompt_silence_seconds", 86401),
                                         ("prompt_patterns_extra", [1]), ("prompt_idle_ms", "250")])
def test_prompt_setting_out_of_range(oly_env, field, value):
    err = daemon_start_fails(oly_env, {field: value})
    assert field in err


@pytest.mark.parametrize("field,value", [("prompt_idle_ms", 20), ("prompt_idle_ms", 60000),
                                         ("prompt_silence_seconds", 0), ("prompt_silence_seconds", 86400)])
def test_prompt_setting_limits_accepted(oly_env, field, value):
    write_config(oly_env, {field: value})
    oly_env.daemon_start()
    oly_env.ok("ls")


def test_prompt_patterns_replace_the_builtins(oly_env):
    pattern = "(?i)deploy now\\?"
    write_config(oly_env, {"prompt_patterns": [pattern]})
    oly_env.daemon_start()
    sid = oly_env.start_detached("sh", "-c", "printf 'Deploy now? '; read x")
    assert_waiting(oly_env, sid, pattern)
    assert line(oly_env, sid).rstrip() == "Deploy now?"
    start_never_flagged(oly_env, ["bash", "-c", "read -p 'Continue? (y/n) ' x"], "3s", 124)


def test_prompt_patterns_extra_add_to_the_builtins(oly_env):
    extra = "^Enter value:"
    write_config(oly_env, {"prompt_patterns_extra": [extra]})
    oly_env.daemon_start()
    sid = oly_env.start_detached("sh", "-c", "printf 'Enter value: '; read x")
    assert_waiting(oly_env, sid, extra)
    assert line(oly_env, sid).rstrip() == "Enter value:"
    sid = oly_env.start_detached("bash", "-c", "read -p 'Continue? (y/n) ' x")
    assert_waiting(oly_env, sid, "yes-no")


def test_empty_prompt_patterns_detect_nothing(oly_env):
    """prompt_patterns [] replaces the built-ins with nothing (silence still works)."""
    write_config(oly_env, {"prompt_patterns": [], "prompt_silence_seconds": 2})
    oly_env.daemon_start()
    sid, _ = start_never_flagged(oly_env, ["bash", "-c", "read -p 'Continue? (y/n) ' x"], "1s", 124)
    assert_waiting(oly_env, sid, "silence")
