# SPDX-License-Identifier: LGPL-2.1-or-later
"""dbus/org.openrelay.Oly1.xml is the contract: the daemon's introspection must say exactly the same for
every org.openrelay.* interface (methods and their arguments, signals, properties and their access and
EmitsChangedSignal annotation)."""
import difflib
import xml.etree.ElementTree as ET

import pytest

from conftest import BUS_NAME, DBUS_XML, MANAGER_PATH, session_path

EMITS = "org.freedesktop.DBus.Property.EmitsChangedSignal"
IFACES = ["org.openrelay.Oly1.Manager", "org.openrelay.Oly1.Web", "org.openrelay.Oly1.Federation",
          "org.openrelay.Oly1.Session"]


def describe(node):
    """{interface name: sorted lines describing each member} for the org.openrelay.* interfaces."""
    out = {}
    for iface in node.iter("interface"):
        name = iface.get("name")
        if not name.startswith("org.openrelay."):
            continue
        lines = []
        for m in iface.findall("method"):
            args = m.findall("arg")
            ins = [f"{a.get('type')} {a.get('name')}" for a in args if a.get("direction", "in") == "in"]
            outs = [f"{a.get('type')} {a.get('name')}" for a in args if a.get("direction") == "out"]
            lines.append(f"method {m.get('name')}({', '.join(ins)}) -> ({', '.join(outs)})")
        for s in iface.findall("signal"):
            args = [f"{a.get('type')} {a.get('name')}" for a in s.findall("arg")]
            lines.append(f"signal {s.get('name')}({', '.join(args)})")
        for p in iface.findall("property"):
            emits = "true"
            for a in p.findall("annotation"):
                if a.get("name") == EMITS:
                    emits = a.get("value")
            lines.append(f"property {p.get('name')} {p.get('type')} {p.get('access')} emits-changed={emits}")
        out[name] = sorted(lines)
    return out


def introspect(oly, path):
    p = oly.busctl("--xml-interface", "introspect", BUS_NAME, path)
    assert p.returncode == 0, p.stderr
    return ET.fromstring(p.stdout)


@pytest.fixture
def live(oly):
    """What the daemon says: the Manager object and one session object."""
    sid = oly.start_detached("sleep", "1000")
    got = {}
    for path in (MANAGER_PATH, session_path(sid)):
        for name, lines in describe(introspect(oly, path)).items():
            got.setdefault(name, lines)
    return got


def contract():
    return describe(ET.parse(DBUS_XML).getroot())


def test_contract_file_has_the_interfaces():
    assert set(contract()) == set(IFACES)


@pytest.mark.parametrize("iface", IFACES)
def test_daemon_matches_contract(live, iface):
    want = contract()[iface]
    assert iface in live, f"the daemon does not serve {iface}"
    got = live[iface]
    if got != want:
        diff = "\n".join(difflib.unified_diff(want, got, f"{DBUS_XML.name} ({iface})", "oly-daemon introspection",
                                              lineterm=""))
        pytest.fail(f"{iface} differs from the contract:\n{diff}")


def test_daemon_serves_no_undocumented_interface(live):
    extra = set(live) - set(contract())
    assert not extra, f"interfaces not in {DBUS_XML.name}: {sorted(extra)}"


def test_method_arguments_in_order(live):
    # describe() keeps argument order; this checks one signature fully, against a reordering that a
    # name-only comparison would miss.
    lines = live["org.openrelay.Oly1.Manager"]
    create = next(line for line in lines if line.startswith("method CreateSession("))
    assert create == ("method CreateSession(s title, as argv, s cwd, as environment, q rows, q cols, t flags) "
                      "-> (s id, o path)")
