# SPDX-License-Identifier: LGPL-2.1-or-later
"""A minimal pure-Python D-Bus client for oly's peer-to-peer socket.

busctl prints an error's message but never its name, and cannot watch signals on a p2p connection;
python3-dbus is not a test dependency. This speaks just enough of the wire protocol (SASL EXTERNAL,
little-endian messages, the basic types, structs, arrays, dicts and variants) to call methods, see
error names and collect signals.
"""
import os
import socket
import struct
import time

CALL, RETURN, ERROR, SIGNAL = 1, 2, 3, 4
_ALIGN = {"y": 1, "b": 4, "n": 2, "q": 2, "i": 4, "u": 4, "x": 8, "t": 8, "d": 8, "h": 4, "s": 4, "o": 4, "g": 1,
          "a": 4, "(": 8, "{": 8, "v": 1}
_FIXED = {"y": "<B", "n": "<h", "q": "<H", "i": "<i", "u": "<I", "x": "<q", "t": "<Q", "d": "<d", "h": "<I"}
_FIELD_CODES = {1: "path", 2: "interface", 3: "member", 4: "error_name", 5: "reply_serial", 6: "destination",
                7: "sender", 8: "signature", 9: "unix_fds"}


class DBusError(Exception):
    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def split_signature(sig):
    """'sasi' -> ['s', 'as', 'i']"""
    out, i = [], 0
    while i < len(sig):
        j = _type_end(sig, i)
        out.append(sig[i:j])
        i = j
    return out


def _type_end(sig, i):
    c = sig[i]
    if c == "a":
        return _type_end(sig, i + 1)
    if c in "({":
        depth = 0
        while True:
            if sig[i] in "({":
                depth += 1
            elif sig[i] in ")}":
                depth -= 1
            i += 1
            if depth == 0:
                return i
    return i + 1


class _Writer:
    def __init__(self):
        self.b = bytearray()

    def pad(self, n):
        self.b += b"\0" * (-len(self.b) % n)

    def put(self, t, v):
        c = t[0]
        self.pad(_ALIGN[c])
        if c in _FIXED:
            self.b += struct.pack(_FIXED[c], v)
        elif c == "b":
            self.b += struct.pack("<I", 1 if v else 0)
        elif c in "so":
            e = v.encode()
            self.b += struct.pack("<I", len(e)) + e + b"\0"
        elif c == "g":
            e = v.encode()
            self.b += struct.pack("<B", len(e)) + e + b"\0"
        elif c == "v":
            sig, val = v
            self.put("g", sig)
            self.put(sig, val)
        elif c == "(":
            for st, x in zip(split_signature(t[1:-1]), v, strict=True):
                self.put(st, x)
        elif c == "a":
            et = t[1:]
            at = len(self.b)
            self.b += b"\0\0\0\0"
            self.pad(_ALIGN[et[0]])
            start = len(self.b)
            if et[0] == "{":
                kt, vt = split_signature(et[1:-1])
                for k, x in v.items():
                    self.pad(8)
                    self.put(kt, k)
                    self.put(vt, x)
            else:
                for x in v:
                    self.put(et, x)
            struct.pack_into("<I", self.b, at, len(self.b) - start)
        else:
            raise ValueError(f"cannot marshal type {t!r}")


class _Reader:
    def __init__(self, data, pos=0):
        self.d = data
        self.p = pos

    def align(self, n):
        self.p += -self.p % n

    def get(self, t):
        c = t[0]
        self.align(_ALIGN[c])
        if c in _FIXED:
            (v,) = struct.unpack_from(_FIXED[c], self.d, self.p)
            self.p += struct.calcsize(_FIXED[c])
            return v
        if c == "b":
            (v,) = struct.unpack_from("<I", self.d, self.p)
            self.p += 4
            return bool(v)
        if c in "so":
            (n,) = struct.unpack_from("<I", self.d, self.p)
            v = bytes(self.d[self.p + 4:self.p + 4 + n]).decode()
            self.p += 4 + n + 1
            return v
        if c == "g":
            n = self.d[self.p]
            v = bytes(self.d[self.p + 1:self.p + 1 + n]).decode()
            self.p += 1 + n + 1
            return v
        if c == "v":
            sig = self.get("g")
            return self.get(sig)
        if c == "(":
            return tuple(self.get(st) for st in split_signature(t[1:-1]))
        if c == "a":
            et = t[1:]
            (n,) = struct.unpack_from("<I", self.d, self.p)
            self.p += 4
            self.align(_ALIGN[et[0]])
            end = self.p + n
            if et[0] == "{":
                kt, vt = split_signature(et[1:-1])
                out = {}
                while self.p < end:
                    self.align(8)
                    k = self.get(kt)
                    out[k] = self.get(vt)
                return out
            out = []
            while self.p < end:
                out.append(self.get(et))
            return out
        raise ValueError(f"cannot unmarshal type {t!r}")


class Message:
    def __init__(self, type, serial, fields, body):
        self.type = type
        self.serial = serial
        self.fields = fields
        self.body = body

    def __getattr__(self, name):
        if name in _FIELD_CODES.values():
            return self.fields.get(name)
        raise AttributeError(name)

    def __repr__(self):
        kind = {CALL: "call", RETURN: "return", ERROR: "error", SIGNAL: "signal"}.get(self.type, self.type)
        return f"<{kind} {self.path} {self.interface}.{self.member} {self.error_name or ''} {self.body!r}>"


class Connection:
    """One connection to a D-Bus server listening on a unix socket path (no bus driver needed)."""

    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buf = bytearray()
        self.serial = 0
        self.signals = []
        self._auth()

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def _readline(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("connection closed during authentication")
            self.buf += chunk
        line, _, rest = bytes(self.buf).partition(b"\r\n")
        self.buf = bytearray(rest)
        return line

    def _auth(self):
        # AUTH and BEGIN go out together (as sd-bus clients send them); the first message only after
        # the server's OK, so that it never arrives in the same read as BEGIN (see
        # test_dbus.py::test_message_right_after_begin_is_answered).
        uid = str(os.geteuid()).encode().hex()
        self.sock.sendall(b"\0AUTH EXTERNAL " + uid.encode() + b"\r\nBEGIN\r\n")
        line = self._readline()
        if not line.startswith(b"OK "):
            raise ConnectionError(f"authentication rejected: {line!r}")

    def send(self, type, fields, sig="", args=(), flags=0):
        self.serial += 1
        body = _Writer()
        for t, v in zip(split_signature(sig), args, strict=True):
            body.put(t, v)
        hfields = [(code, (fsig, val)) for code, fsig, val in fields]
        if sig:
            hfields.append((8, ("g", sig)))
        h = _Writer()
        for t, v in (("y", ord("l")), ("y", type), ("y", flags), ("y", 1), ("u", len(body.b)), ("u", self.serial)):
            h.put(t, v)
        h.put("a(yv)", hfields)
        h.pad(8)
        self.sock.sendall(bytes(h.b) + bytes(body.b))
        return self.serial

    def _recv_message(self, deadline):
        while True:
            if len(self.buf) >= 16:
                if self.buf[0] != ord("l"):
                    raise ValueError("only little-endian messages are supported")
                body_len, serial, fields_len = struct.unpack_from("<III", self.buf, 4)
                hlen = 16 + fields_len
                hlen += -hlen % 8
                total = hlen + body_len
                if len(self.buf) >= total:
                    data = bytes(self.buf[:total])
                    del self.buf[:total]
                    r = _Reader(data, 12)
                    raw = r.get("a(yv)")
                    fields = {_FIELD_CODES.get(code, code): val for code, val in raw}
                    sig = fields.get("signature", "")
                    br = _Reader(data[hlen:])
                    body = [br.get(t) for t in split_signature(sig)]
                    return Message(data[1], serial, fields, body)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from the server in time")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the server")
            self.buf += chunk

    def call(self, path, interface, member, sig="", *args, timeout=30.0, destination="org.openrelay.Oly1"):
        """Calls a method; returns the reply's body as a list, raises DBusError for an error reply."""
        fields = [(1, "o", path), (3, "s", member)]
        if interface:
            fields.append((2, "s", interface))
        if destination:
            fields.append((6, "s", destination))
        serial = self.send(CALL, fields, sig, args)
        deadline = time.monotonic() + timeout
        while True:
            m = self._recv_message(deadline)
            if m.type == SIGNAL:
                self.signals.append(m)
            elif m.type in (RETURN, ERROR) and m.reply_serial == serial:
                if m.type == ERROR:
                    raise DBusError(m.error_name, m.body[0] if m.body else "")
                return m.body

    def get_property(self, path, interface, name):
        return self.call(path, "org.freedesktop.DBus.Properties", "Get", "ss", interface, name)[0]

    def wait_signal(self, pred, timeout=10.0):
        """Returns (and removes) the first signal for which pred(message) is true, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.signals):
                if pred(m):
                    return self.signals.pop(i)
            m = self._recv_message(deadline)
            if m.type == SIGNAL:
                self.signals.append(m)
