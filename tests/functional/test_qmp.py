"""QMP, QEMU's JSON wire protocol, end to end on qemu-system-x86_64 -M none.

A client talks to `-qmp unix:PATH,server=on,wait=off` (and to `-qmp stdio`)
the way libvirt or qemu.qmp would: greeting, negotiation, commands with
ids, events with timestamps, and bad input that must get an error reply
while the session goes on.
"""
import json
import os
import socket
import subprocess
import time

import pytest

from conftest import quasar_bin


class QMP:
    """A minimal QMP client over a unix socket."""

    def __init__(self, path, timeout=10):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.events = []

    def recv(self):
        """Next JSON message (reply or event)."""
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("QMP connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        """Next non-event message; events are kept in self.events."""
        while True:
            msg = self.recv()
            if "event" in msg:
                self.events.append(msg)
            else:
                return msg

    def cmd(self, name, args=None, **kw):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        req.update(kw)
        self.send_raw(json.dumps(req) + "\n")
        return self.reply()

    def event(self, name, timeout=10):
        for i, ev in enumerate(self.events):
            if ev["event"] == name:
                return self.events.pop(i)
        self.sock.settimeout(timeout)
        while True:
            msg = self.recv()
            if msg.get("event") == name:
                return msg
            if "event" in msg:
                self.events.append(msg)

    def close(self):
        self.sock.close()


@pytest.fixture
def vm(tmp_path):
    """qemu-system-x86_64 -M none with QMP on a unix socket (and -S)."""
    procs = []

    def start(*extra):
        path = str(tmp_path / f"qmp{len(procs)}.sock")
        proc = subprocess.Popen(
            [quasar_bin("qemu-system-x86_64"), "-M", "none", "-display",
             "none", "-nodefaults", "-qmp", f"unix:{path},server=on,wait=off",
             *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        procs.append(proc)
        return proc, QMP(path)

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()


def negotiated(start, *extra):
    proc, q = start(*extra)
    greeting = q.recv()
    assert "QMP" in greeting
    assert q.cmd("qmp_capabilities") == {"return": {}}
    return proc, q


def test_greeting_and_negotiation(vm):
    proc, q = vm()
    greeting = q.recv()
    ver = greeting["QMP"]["version"]
    assert ver["qemu"] == {"micro": 0, "minor": 2, "major": 7}
    assert ver["package"].startswith("Quasar")
    assert greeting["QMP"]["capabilities"] == ["oob"]
    # Anything but qmp_capabilities is refused before negotiation.
    r = q.cmd("query-status", id="early")
    assert r == {"error": {"class": "CommandNotFound",
                           "desc": "Expecting capabilities negotiation "
                                   "with 'qmp_capabilities'"},
                 "id": "early"}
    assert q.cmd("qmp_capabilities", {"enable": ["oob"]}) == {"return": {}}
    r = q.cmd("qmp_capabilities")
    assert r["error"]["class"] == "CommandNotFound"
    assert "already complete" in r["error"]["desc"]
    # The session still works.
    assert q.cmd("query-status")["return"]["status"] == "running"


def test_raw_greeting_format(vm):
    """The greeting's exact bytes, key order included, as QEMU prints it."""
    proc, q = vm()
    while b"\n" not in q.buf:
        q.buf += q.sock.recv(4096)
    line = q.buf.split(b"\n")[0].decode()
    assert line == ('{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, '
                    '"major": 7}, "package": "Quasar 0.1.0"}, '
                    '"capabilities": ["oob"]}}')


def test_query_status_stop_cont_events(vm):
    proc, q = negotiated(vm)
    r = q.cmd("query-status", id=1)
    assert r == {"return": {"status": "running", "singlestep": False,
                            "running": True}, "id": 1}
    assert q.cmd("stop", id="s") == {"return": {}, "id": "s"}
    ev = q.event("STOP")
    assert set(ev) == {"event", "timestamp"}
    ts = ev["timestamp"]
    assert abs(ts["seconds"] - time.time()) < 60
    assert 0 <= ts["microseconds"] < 1000000
    assert q.cmd("query-status")["return"] == {
        "status": "paused", "singlestep": False, "running": False}
    # A second stop changes nothing and sends no event.
    assert q.cmd("stop") == {"return": {}}
    assert q.cmd("cont") == {"return": {}}
    q.event("RESUME")
    assert q.cmd("query-status")["return"]["running"] is True
    assert not [e for e in q.events if e["event"] == "STOP"]


def test_prelaunch(vm):
    proc, q = negotiated(vm, "-S")
    assert q.cmd("query-status")["return"]["status"] == "prelaunch"
    r = q.cmd("human-monitor-command", {"command-line": "info status"})
    assert r == {"return": "VM status: paused (prelaunch)\r\n"}
    q.cmd("cont")
    q.event("RESUME")
    assert q.cmd("query-status")["return"]["status"] == "running"


def test_id_echo_any_json(vm):
    proc, q = negotiated(vm)
    for ident in [1, "x", {"a": [1, 2]}, [None, True], 2.5]:
        r = q.cmd("query-version", id=ident)
        assert r["id"] == ident
        assert r["return"]["qemu"]["major"] == 7
    r = q.cmd("nosuch-command", id=7)
    assert r == {"error": {"class": "CommandNotFound",
                           "desc": "The command nosuch-command has not been "
                                   "found"}, "id": 7}


def test_query_commands(vm):
    proc, q = negotiated(vm)
    names = {c["name"] for c in q.cmd("query-commands")["return"]}
    for n in ["qmp_capabilities", "query-version", "query-status",
              "query-commands", "query-chardev", "stop", "cont", "quit",
              "system_reset", "system_powerdown", "human-monitor-command"]:
        assert n in names
    # HMP-only commands are not QMP commands.
    assert "help" not in names
    assert q.cmd("help")["error"]["class"] == "CommandNotFound"


def test_query_chardev(vm):
    proc, q = negotiated(vm, "-chardev", "null,id=nul0")
    devs = {c["label"]: c for c in q.cmd("query-chardev")["return"]}
    assert devs["nul0"] == {"frontend-open": False, "filename": "null",
                            "label": "nul0"}
    mon = [c for c in devs.values() if c["filename"].startswith("unix:")]
    assert mon and mon[0]["frontend-open"] is True
    assert mon[0]["filename"].endswith(",server=on")


def test_human_monitor_command(vm):
    proc, q = negotiated(vm, "-S")
    r = q.cmd("human-monitor-command", {"command-line": "info version"})
    assert r["return"].startswith("7.2.0 (Quasar ")
    assert r["return"].endswith(")\r\n")
    r = q.cmd("human-monitor-command", {"command-line": "foo"})
    assert r == {"return": "unknown command: 'foo'\r\n"}
    r = q.cmd("human-monitor-command", {"command-line": "stop x"})
    assert r["return"] == ("stop|s: extraneous characters at the end of "
                           "line\r\nTry \"help stop\" for more information"
                           "\r\n")
    r = q.cmd("human-monitor-command", {"command-line": "info chardev"})
    assert "filename=unix:" in r["return"]
    r = q.cmd("human-monitor-command", {"command-line": "help cont"})
    assert r["return"] == "cont|c  -- resume emulation\r\n"
    # Argument checking.
    r = q.cmd("human-monitor-command")
    assert r["error"] == {"class": "GenericError",
                          "desc": "Parameter 'command-line' is missing"}
    r = q.cmd("human-monitor-command", {"command-line": 5})
    assert r["error"]["desc"] == ("Invalid parameter type for "
                                  "'command-line', expected: string")
    r = q.cmd("human-monitor-command", {"command-line": "", "bogus": 1})
    assert r["error"]["desc"] == "Parameter 'bogus' is unexpected"
    # HMP's stop through QMP sends the QMP event.
    r = q.cmd("cont")
    q.event("RESUME")
    r = q.cmd("human-monitor-command", {"command-line": "stop"})
    assert r == {"return": ""}
    q.event("STOP")


def test_bad_input_session_continues(vm):
    proc, q = negotiated(vm)
    q.send_raw('{"execute": 1}\n')
    assert q.reply() == {"error": {
        "class": "GenericError",
        "desc": "QMP input member 'execute' must be a string"}}
    q.send_raw("[1, 2]\n")
    assert q.reply()["error"]["desc"] == "QMP input must be a JSON object"
    q.send_raw("42\n")
    assert q.reply()["error"]["desc"] == "QMP input must be a JSON object"
    q.send_raw('{"arguments": {}}\n')
    assert q.reply()["error"]["desc"] == "QMP input lacks member 'execute'"
    q.send_raw('{"execute": "query-status", "arguments": []}\n')
    assert q.reply()["error"]["desc"] == ("QMP input member 'arguments' "
                                          "must be an object")
    q.send_raw('{"execute": "query-status", "extra": 1}\n')
    assert q.reply()["error"]["desc"] == ("QMP input member 'extra' is "
                                          "unexpected")
    q.send_raw('{"execute": "stop", "arguments": {"x": 1}}\n')
    assert q.reply()["error"]["desc"] == "Parameter 'x' is unexpected"
    # Malformed JSON: a parse error, then the next request works.
    q.send_raw('{"execute": "query-status"]\n')
    r = q.reply()
    assert r["error"]["class"] == "GenericError"
    assert r["error"]["desc"].startswith("JSON parse error")
    q.send_raw('{"foo\n')
    assert q.reply()["error"]["desc"].startswith("JSON parse error")
    q.send_raw("}\n")
    assert q.reply()["error"]["desc"].startswith("JSON parse error")
    q.send_raw("\x01garbage\n")
    assert q.reply()["error"]["desc"].startswith("JSON parse error")
    assert q.cmd("query-status", id="ok") == {
        "return": {"status": "running", "singlestep": False,
                   "running": True}, "id": "ok"}
    assert proc.poll() is None


def test_split_and_batched_input(vm):
    """A request split over several writes, and several in one write."""
    proc, q = negotiated(vm)
    for chunk in ['{"exec', 'ute": "query-', 'status", "id": ', '3}']:
        q.send_raw(chunk)
        time.sleep(0.05)
    assert q.reply()["id"] == 3
    q.send_raw('{"execute": "query-version", "id": 1}'
               '{"execute": "query-status", "id": 2}\n'
               '{"execute": "query-commands", "id": 3}')
    assert [q.reply()["id"] for _ in range(3)] == [1, 2, 3]


def test_exec_oob(vm):
    proc, q = vm()
    q.recv()
    q.send_raw('{"exec-oob": "query-status", "id": 1}\n')
    assert q.reply() == {"error": {
        "class": "GenericError",
        "desc": "QMP input member 'exec-oob' is unexpected"}, "id": 1}
    assert q.cmd("qmp_capabilities", {"enable": ["oob"]}) == {"return": {}}
    q.send_raw('{"exec-oob": "query-status", "id": 2}\n')
    assert q.reply()["error"]["desc"] == ("The command query-status does "
                                          "not support OOB")
    r = q.cmd("qmp_capabilities", {"enable": ["nope"]})
    assert r["error"]["class"] == "CommandNotFound"


def test_bad_capabilities(vm):
    proc, q = vm()
    q.recv()
    r = q.cmd("qmp_capabilities", {"enable": ["nope"]})
    assert r["error"] == {"class": "GenericError",
                          "desc": "Parameter 'enable' does not accept value "
                                  "'nope'"}
    r = q.cmd("qmp_capabilities", {"bogus": 1})
    assert r["error"]["desc"] == "Parameter 'bogus' is unexpected"
    assert q.cmd("qmp_capabilities") == {"return": {}}


def test_query_chardev_backends(vm):
    proc, q = negotiated(vm)
    names = {b["name"] for b in q.cmd("query-chardev-backends")["return"]}
    assert {"file", "mux", "null", "pipe", "pty", "serial", "socket",
            "stdio"} <= names


def test_reset_and_powerdown_events(vm):
    proc, q = negotiated(vm)
    assert q.cmd("system_reset") == {"return": {}}
    ev = q.event("RESET")
    assert ev["data"] == {"guest": False, "reason": "host-qmp-system-reset"}
    assert q.cmd("system_powerdown") == {"return": {}}
    q.event("POWERDOWN")


def test_quit(vm):
    proc, q = negotiated(vm)
    r = q.cmd("quit")
    assert r == {"return": {}}
    ev = q.event("SHUTDOWN")
    assert ev["data"] == {"guest": False, "reason": "host-qmp-quit"}
    assert proc.wait(timeout=10) == 0


def test_two_qmp_monitors_get_events(tmp_path):
    a, b = str(tmp_path / "a.sock"), str(tmp_path / "b.sock")
    proc = subprocess.Popen(
        [quasar_bin("qemu-system-x86_64"), "-M", "none", "-display", "none",
         "-nodefaults", "-qmp", f"unix:{a},server=on,wait=off",
         "-chardev", f"socket,id=q2,path={b},server=on,wait=off",
         "-mon", "chardev=q2,mode=control"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    try:
        qa, qb = QMP(a), QMP(b)
        for q in (qa, qb):
            assert "QMP" in q.recv()
            assert q.cmd("qmp_capabilities") == {"return": {}}
        assert qa.cmd("stop") == {"return": {}}
        qa.event("STOP")
        qb.event("STOP")
        qb.cmd("quit")
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_reconnect_renegotiates(vm):
    proc, q = negotiated(vm)
    path = q.sock.getpeername()
    q.close()
    q2 = QMP(path)
    assert "QMP" in q2.recv()
    r = q2.cmd("query-status")
    assert r["error"]["class"] == "CommandNotFound"
    assert q2.cmd("qmp_capabilities") == {"return": {}}
    assert q2.cmd("query-status")["return"]["running"] is True


def test_qmp_stdio():
    """-qmp stdio driven through pipes, as scripts do."""
    proc = subprocess.run(
        [quasar_bin("qemu-system-x86_64"), "-M", "none", "-display", "none",
         "-nodefaults", "-S", "-qmp", "stdio"],
        input='{"execute": "qmp_capabilities"}\n'
              '{"execute": "query-status", "id": "a"}\n'
              '{"execute": "quit"}\n',
        capture_output=True, text=True, timeout=20)
    msgs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "QMP" in msgs[0]
    assert msgs[1] == {"return": {}}
    assert msgs[2] == {"return": {"status": "prelaunch", "singlestep": False,
                                  "running": False}, "id": "a"}
    assert {"return": {}} in msgs[3:]
    assert any(m.get("event") == "SHUTDOWN" for m in msgs[3:])
    assert proc.returncode == 0


def test_qmp_pretty(tmp_path):
    path = str(tmp_path / "p.sock")
    proc = subprocess.Popen(
        [quasar_bin("qemu-system-x86_64"), "-M", "none", "-display", "none",
         "-nodefaults", "-qmp-pretty", f"unix:{path},server=on,wait=off"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    try:
        q = QMP(path)
        data = b""
        while True:
            data += q.sock.recv(4096)
            try:
                greeting = json.loads(data)
                break
            except ValueError:
                continue
        assert "QMP" in greeting
        assert b"\n    " in data  # indented
    finally:
        proc.kill()
        proc.wait()


def test_random_input_never_kills_the_session(vm):
    """Deterministic junk: random bytes, truncated and deeply nested JSON,
    wrong types everywhere.  Afterwards the session still answers."""
    import random
    rng = random.Random(1234)
    proc, q = negotiated(vm)
    samples = [
        b"\x00\x01\x02\n", b"{{{{\n", b"]]]]\n", b'"\\u12"\n', b"nul\n",
        b"[" * 2000 + b"\n", b'{"execute": "stop", "arguments": null}\n',
        b'{"execute": {"x": 1}}\n', b'{"execute": "query-status", '
        b'"arguments": {"a": [1, {"b": 2}]}}\n', b"\xff",
        b'{"execute": "human-monitor-command", "arguments": '
        b'{"command-line": "info \\"unterminated"}}\n',
        b'{"execute": "human-monitor-command", "arguments": '
        b'{"command-line": "help ' + b"x" * 5000 + b'"}}\n',
        b'{"id": 1}\n', b"{}\n", b"1e99999\n", b"-\n", b'{"a":1}}\n',
    ]
    for _ in range(200):
        n = rng.randrange(1, 64)
        samples.append(bytes(rng.randrange(256) for _ in range(n)) + b"\n")
    for s in samples:
        q.send_raw(s)
    # Reset the parser (0xFF, as QEMU's clients do) and resynchronise.
    q.send_raw(b"\xff\n")
    q.sock.settimeout(2)
    try:
        while True:
            q.buf = b""
            if not q.sock.recv(1 << 20):
                break
    except socket.timeout:
        pass
    q.sock.settimeout(10)
    q.buf = b""
    assert q.cmd("query-status", id="alive")["id"] == "alive"
    assert proc.poll() is None


def test_client_that_never_reads_does_not_stall_others(tmp_path):
    """A QMP client flooding requests without reading its replies must not
    block the main loop: another monitor keeps answering at once."""
    a, b = str(tmp_path / "a.sock"), str(tmp_path / "b.sock")
    proc = subprocess.Popen(
        [quasar_bin("qemu-system-x86_64"), "-M", "none", "-display", "none",
         "-nodefaults", "-qmp", f"unix:{a},server=on,wait=off",
         "-qmp", f"unix:{b},server=on,wait=off"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    try:
        qa, qb = QMP(a), QMP(b)
        for q in (qa, qb):
            q.recv()
            assert q.cmd("qmp_capabilities") == {"return": {}}
        flood = b'{"execute": "query-commands"}\n' * 20000
        qa.sock.setblocking(False)
        sent = 0
        try:
            while sent < len(flood):
                sent += qa.sock.send(flood[sent:])
        except BlockingIOError:
            pass  # the server stopped reading: back-pressure, as intended
        assert sent < len(flood)
        start = time.time()
        assert qb.cmd("query-status")["return"]["running"] is True
        assert time.time() - start < 2
        # Once A reads, its replies flow again.
        qa.sock.setblocking(True)
        qa.sock.settimeout(10)
        assert "return" in qa.recv()
        qb.cmd("quit")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
