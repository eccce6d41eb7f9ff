"""Chardev backends end to end: -chardev file/pipe/null/pty/socket/mux and
the legacy -monitor/-qmp specs, each driven through a monitor attached with
-mon, the way a user wires a serial console or a management socket.
"""
import json
import os
import re
import socket
import subprocess
import time

import pytest

from conftest import quasar_bin


def qemu(*args, **kw):
    return subprocess.Popen(
        [quasar_bin("qemu-system-x86_64"), "-M", "none", "-display", "none",
         "-nodefaults", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, **kw)


def run_fail(*args):
    """Runs a command line that must fail; returns its stderr."""
    p = subprocess.run(
        [quasar_bin("qemu-system-x86_64"), "-M", "none", "-display", "none",
         "-nodefaults", *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
    assert p.returncode == 1, p.stderr
    return p.stderr


def wait_path(path, timeout=10):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def connect_unix(path, timeout=10):
    """Connects once the server listens (the path exists from bind() on)."""
    wait_path(path, timeout)
    deadline = time.time() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            break
        except ConnectionRefusedError:
            s.close()
            assert time.time() < deadline
            time.sleep(0.05)
    s.settimeout(timeout)
    return s


def read_until(f, marker, timeout=10):
    """Reads from a socket or fd until marker (bytes) has been seen."""
    data = b""
    deadline = time.time() + timeout
    while marker not in data:
        assert time.time() < deadline, f"no {marker!r} in {data!r}"
        if isinstance(f, socket.socket):
            chunk = f.recv(4096)
        else:
            chunk = os.read(f, 4096)
        if not chunk:
            break
        data += chunk
    return data


def qmp_greet(s):
    data = read_until(s, b"\n")
    assert b'"QMP"' in data
    s.sendall(b'{"execute": "qmp_capabilities"}\n')
    assert b'"return": {}' in read_until(s, b"\n")


def qmp_cmd(s, name, **args):
    req = {"execute": name}
    if args:
        req["arguments"] = args
    s.sendall(json.dumps(req).encode() + b"\n")
    while True:
        line = read_until(s, b"\n")
        for text in line.decode().splitlines():
            msg = json.loads(text)
            if "event" not in msg:
                return msg


def stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_chardev_help():
    p = subprocess.run([quasar_bin("qemu-system-x86_64"), "-chardev", "help"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert lines[0] == "Available chardev backend types: "
    names = {line.strip() for line in lines[1:]}
    assert {"file", "mux", "null", "pipe", "pty", "socket",
            "stdio"} <= names


def test_file_backend_and_append(tmp_path):
    out, qsock = tmp_path / "out.txt", str(tmp_path / "q.sock")
    out.write_text("old contents\n")
    for append in ("off", "on"):
        p = qemu("-chardev", f"file,id=f,path={out},append={append}",
                 "-mon", "chardev=f,mode=readline",
                 "-qmp", f"unix:{qsock},server=on,wait=off")
        try:
            s = connect_unix(qsock)
            qmp_greet(s)
            r = qmp_cmd(s, "query-chardev")["return"]
            assert {"frontend-open": True, "filename": "file",
                    "label": "f"} in r
            qmp_cmd(s, "quit")
            assert p.wait(timeout=10) == 0
        finally:
            stop(p)
        text = out.read_text()
        assert "QEMU 7.2.0 monitor - type 'help' for more information" in text
    # First run truncated the old text; the second appended a banner.
    assert "old contents" not in text
    assert text.count("QEMU 7.2.0 monitor") == 2


def test_legacy_file_spec_and_logfile(tmp_path):
    out, log = tmp_path / "mon.txt", tmp_path / "log.txt"
    qsock = str(tmp_path / "q.sock")
    p = qemu("-monitor", f"file:{out}",
             "-chardev", f"null,id=n,logfile={log}",
             "-mon", "chardev=n,mode=readline",
             "-qmp", f"unix:{qsock},server=on,wait=off")
    try:
        s = connect_unix(qsock)
        qmp_greet(s)
        qmp_cmd(s, "quit")
        assert p.wait(timeout=10) == 0
    finally:
        stop(p)
    assert out.read_text().startswith("QEMU 7.2.0 monitor")
    assert log.read_text().startswith("QEMU 7.2.0 monitor")


def test_pipe_backend_in_out(tmp_path):
    base = str(tmp_path / "p")
    os.mkfifo(base + ".in")
    os.mkfifo(base + ".out")
    p = qemu("-chardev", f"pipe,id=pp,path={base}",
             "-mon", "chardev=pp,mode=control")
    try:
        rd = os.open(base + ".out", os.O_RDONLY)
        wr = os.open(base + ".in", os.O_WRONLY)
        assert b'"QMP"' in read_until(rd, b"\n")
        os.write(wr, b'{"execute": "qmp_capabilities"}\n')
        assert b'{"return": {}}' in read_until(rd, b"\n")
        os.write(wr, b'{"execute": "query-chardev"}\n')
        data = read_until(rd, b"\n")
        assert b'"filename": "pipe", "label": "pp"' in data
        os.write(wr, b'{"execute": "quit"}\n')
        assert p.wait(timeout=10) == 0
        os.close(rd)
        os.close(wr)
    finally:
        stop(p)


def test_pipe_backend_single_fifo(tmp_path):
    path = str(tmp_path / "one")
    os.mkfifo(path)
    p = qemu("-monitor", f"pipe:{path}")
    try:
        fd = os.open(path, os.O_RDONLY)
        assert b"QEMU 7.2.0 monitor" in read_until(fd, b"(qemu) ")
        os.close(fd)
    finally:
        stop(p)


def test_null_backend(tmp_path):
    qsock = str(tmp_path / "q.sock")
    p = qemu("-chardev", "null,id=n0", "-mon", "chardev=n0",
             "-qmp", f"unix:{qsock},server=on,wait=off")
    try:
        s = connect_unix(qsock)
        qmp_greet(s)
        r = qmp_cmd(s, "query-chardev")["return"]
        assert {"frontend-open": True, "filename": "null",
                "label": "n0"} in r
        qmp_cmd(s, "quit")
        assert p.wait(timeout=10) == 0
    finally:
        stop(p)


def test_ringbuf_backend(tmp_path):
    qsock = str(tmp_path / "q.sock")
    p = qemu("-chardev", "ringbuf,id=rb,size=64", "-mon", "chardev=rb",
             "-chardev", "memory,id=mem", "-chardev", "null,id=nl",
             "-qmp", f"unix:{qsock},server=on,wait=off")
    try:
        s = connect_unix(qsock)
        qmp_greet(s)
        # The HMP monitor's banner and prompt went into the 64-byte ring:
        # only the last 64 bytes are kept.
        banner = ("QEMU 7.2.0 monitor - type 'help' for more information\r\n"
                  "(qemu) ")
        r = qmp_cmd(s, "ringbuf-read", device="rb", size=1000)
        assert r == {"return": banner[-64:]}
        assert qmp_cmd(s, "ringbuf-read", device="rb", size=10) == {
            "return": ""}
        assert qmp_cmd(s, "ringbuf-write", device="mem",
                       data="hello") == {"return": {}}
        assert qmp_cmd(s, "ringbuf-write", device="mem", data="IQ==",
                       format="base64") == {"return": {}}
        assert qmp_cmd(s, "ringbuf-read", device="mem", size=3) == {
            "return": "hel"}
        assert qmp_cmd(s, "ringbuf-read", device="mem", size=9,
                       format="base64") == {"return": "bG8h"}
        r = qmp_cmd(s, "human-monitor-command",
                    **{"command-line": "ringbuf_write mem two words"})
        assert r == {"return": ""}
        r = qmp_cmd(s, "human-monitor-command",
                    **{"command-line": "ringbuf_read mem 100"})
        assert r == {"return": "two words\r\n"}
        r = qmp_cmd(s, "ringbuf-read", device="nope", size=1)
        assert r["error"] == {"class": "DeviceNotFound",
                              "desc": "Device 'nope' not found"}
        r = qmp_cmd(s, "ringbuf-read", device="nl", size=1)
        assert r["error"]["desc"] == "nl is not a ringbuf device"
        qmp_cmd(s, "quit")
        assert p.wait(timeout=10) == 0
    finally:
        stop(p)


def test_chardev_add_remove(tmp_path):
    qsock, out = str(tmp_path / "q.sock"), tmp_path / "f.txt"
    usock = str(tmp_path / "u.sock")
    p = qemu("-qmp", f"unix:{qsock},server=on,wait=off")
    try:
        s = connect_unix(qsock)
        qmp_greet(s)
        add = lambda id, b: qmp_cmd(s, "chardev-add", id=id, backend=b)
        assert add("n1", {"type": "null", "data": {}}) == {"return": {}}
        assert add("f1", {"type": "file", "data": {"out": str(out)}}) == {
            "return": {}}
        r = add("p1", {"type": "pty", "data": {}})
        assert re.fullmatch(r"/dev/pts/\d+", r["return"]["pty"])
        assert add("s1", {"type": "socket", "data": {
            "addr": {"type": "unix", "data": {"path": usock}},
            "server": True, "wait": False}}) == {"return": {}}
        assert add("r1", {"type": "ringbuf", "data": {"size": 1024}}) == {
            "return": {}}
        chardevs = {c["label"]: c["filename"]
                    for c in qmp_cmd(s, "query-chardev")["return"]}
        assert chardevs["s1"] == f"disconnected:unix:{usock},server=on"
        assert chardevs["p1"] == "pty:" + r["return"]["pty"]
        assert out.exists()
        r = add("n1", {"type": "null", "data": {}})
        assert r["error"]["desc"] == "Chardev 'n1' already exists"
        r = add("x", {"type": "nosuch", "data": {}})
        assert r["error"]["desc"] == "'nosuch' is not a valid char driver name"
        r = add("x", {"type": "file", "data": {"bogus": 1}})
        assert r["error"]["desc"] == ("Parameter 'backend.data.bogus' is "
                                      "unexpected")
        for id in ["n1", "f1", "p1", "s1", "r1"]:
            assert qmp_cmd(s, "chardev-remove", id=id) == {"return": {}}
        assert not os.path.exists(usock)
        r = qmp_cmd(s, "chardev-remove", id="n1")
        assert r["error"]["desc"] == "Chardev 'n1' not found"
        # The QMP monitor's own chardev is in use.
        mon = qmp_cmd(s, "query-chardev")["return"][0]["label"]
        r = qmp_cmd(s, "chardev-remove", id=mon)
        assert r["error"]["desc"] == f"Chardev '{mon}' is busy"
        # HMP's chardev-add takes -chardev syntax.
        hmp = lambda line: qmp_cmd(s, "human-monitor-command",
                                   **{"command-line": line})["return"]
        assert hmp("chardev-add ringbuf,id=r2,size=128") == ""
        assert hmp("chardev-add bogus,id=r3") == (
            "Error: 'bogus' is not a valid char driver name\r\n")
        assert "r2: filename=ringbuf" in hmp("info chardev")
        assert hmp("chardev-remove r2") == ""
        assert "r2:" not in hmp("info chardev")
        qmp_cmd(s, "quit")
        assert p.wait(timeout=10) == 0
    finally:
        stop(p)


def test_pty_backend():
    p = qemu("-chardev", "pty,id=pty0", "-mon", "chardev=pty0")
    try:
        line = p.stderr.readline()
        m = re.fullmatch(r"char device redirected to (/dev/pts/\d+) "
                         r"\(label pty0\)\n", line)
        assert m, line
        fd = os.open(m.group(1), os.O_RDWR | os.O_NOCTTY)
        import tty
        tty.setraw(fd)
        # The monitor sees the open slave as a connection: banner, prompt.
        assert b"QEMU 7.2.0 monitor" in read_until(fd, b"(qemu) ")
        os.write(fd, b"info chardev\r")
        data = read_until(fd, b"(qemu) ").decode()
        assert f"pty0: filename=pty:{m.group(1)}" in data
        os.write(fd, b"quit\r")
        assert p.wait(timeout=10) == 0
        os.close(fd)
    finally:
        stop(p)


def test_serial_tty_backend():
    """A host terminal device as the backend: "-monitor /dev/pts/N"."""
    import tty
    master, slave = os.openpty()
    tty.setraw(master)
    path = os.ttyname(slave)
    p = qemu("-monitor", path, "-chardev", f"tty,id=t2,path={path}")
    try:
        assert b"QEMU 7.2.0 monitor" in read_until(master, b"(qemu) ")
        os.write(master, b"info chardev\r")
        data = read_until(master, b"t2: filename=" + path.encode())
        assert f"compat_monitor0: filename={path}".encode() in data
    finally:
        stop(p)
        os.close(master)
        os.close(slave)


def test_socket_unix_server_client_and_nowait_spelling(tmp_path):
    path = str(tmp_path / "s.sock")
    # QEMU's old "server,nowait" spelling.
    p = qemu("-qmp", f"unix:{path},server,nowait")
    try:
        s = connect_unix(path)
        qmp_greet(s)
        r = qmp_cmd(s, "query-chardev")["return"]
        assert r[0]["filename"] == f"unix:{path},server=on"
        qmp_cmd(s, "quit")
        assert p.wait(timeout=10) == 0
    finally:
        stop(p)


def test_socket_passed_fds(tmp_path):
    """fd=N as libvirt passes them: a listening socket and a connected one."""
    path = str(tmp_path / "passed.sock")
    lsn = socket.socket(socket.AF_UNIX)
    lsn.bind(path)
    lsn.listen(1)
    mine, theirs = socket.socketpair()
    p = qemu("-chardev", f"socket,id=l,fd={lsn.fileno()},server=on,wait=off",
             "-mon", "chardev=l,mode=control",
             "-chardev", f"socket,id=c,fd={theirs.fileno()}",
             "-mon", "chardev=c,mode=control",
             pass_fds=(lsn.fileno(), theirs.fileno()))
    try:
        lsn.close()
        theirs.close()
        mine.settimeout(10)
        qmp_greet(mine)
        s = connect_unix(path)
        qmp_greet(s)
        names = {c["label"]: c["filename"]
                 for c in qmp_cmd(s, "query-chardev")["return"]}
        assert names["l"].endswith(",server=on")
        qmp_cmd(mine, "quit")
        assert p.wait(timeout=10) == 0
    finally:
        stop(p)


def test_socket_server_wait_blocks_until_client(tmp_path):
    path = str(tmp_path / "w.sock")
    p = qemu("-qmp", f"unix:{path},server=on")
    try:
        line = p.stderr.readline()
        assert line.startswith("qemu-system-x86_64: ")
        assert line.endswith("info: QEMU waiting for connection on: "
                             f"disconnected:unix:{path},server=on\n")
        s = connect_unix(path)
        qmp_greet(s)
        qmp_cmd(s, "quit")
        assert p.wait(timeout=10) == 0
    finally:
        stop(p)


def test_socket_client_and_reconnect(tmp_path):
    path = str(tmp_path / "listen.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(10)
    p = qemu("-chardev", f"socket,id=c,path={path},reconnect=1",
             "-mon", "chardev=c,mode=control")
    try:
        conn, _ = srv.accept()
        conn.settimeout(10)
        qmp_greet(conn)
        r = qmp_cmd(conn, "query-chardev")["return"]
        assert {"frontend-open": True, "filename": f"unix:{path}",
                "label": "c"} in r
        # Hang up: the client comes back within reconnect=1 seconds and the
        # monitor greets again.
        conn.close()
        conn, _ = srv.accept()
        conn.settimeout(10)
        qmp_greet(conn)
        qmp_cmd(conn, "quit")
        assert p.wait(timeout=10) == 0
    finally:
        stop(p)
        srv.close()


def test_socket_tcp_server_and_telnet():
    port, tport = free_port(), free_port()
    p = qemu("-qmp", f"tcp:127.0.0.1:{port},server=on,wait=off",
             "-monitor", f"telnet:127.0.0.1:{tport},server,nowait")
    try:
        deadline = time.time() + 10
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                assert time.time() < deadline
                time.sleep(0.05)
        qmp_greet(s)
        r = {c["label"]: c["filename"]
             for c in qmp_cmd(s, "query-chardev")["return"]}
        assert re.fullmatch(rf"tcp:127\.0\.0\.1:{port},server=on <-> "
                            r"127\.0\.0\.1:\d+", r["compat_monitor0"])
        assert r["compat_monitor1"] == (f"disconnected:telnet:127.0.0.1:"
                                        f"{tport},server=on")
        t = socket.create_connection(("127.0.0.1", tport), timeout=10)
        data = read_until(t, b"(qemu) ")
        # Telnet negotiation first (IAC WILL ECHO ...), then the banner.
        assert data.startswith(b"\xff\xfb\x01")
        assert b"QEMU 7.2.0 monitor" in data
        # Telnet commands from the client are stripped from the input.
        t.sendall(b"\xff\xfd\x01info \xff\xfb\x03status\r\n")
        data = read_until(t, b"(qemu) ")
        assert b"VM status: running" in data
        qmp_cmd(s, "quit")
        assert p.wait(timeout=10) == 0
    finally:
        stop(p)


def test_mux_two_monitors_ctrl_a_c(tmp_path):
    """Two monitors on one muxed socket: Ctrl-a c moves the keyboard."""
    path = str(tmp_path / "mux.sock")
    p = qemu("-chardev", f"socket,id=m,path={path},server=on,wait=off,"
                         "mux=on",
             "-mon", "chardev=m,mode=readline",
             "-mon", "chardev=m,mode=control")
    try:
        s = connect_unix(path)
        # The QMP monitor attached last and has the focus: its greeting.
        data = read_until(s, b"\n")
        assert b'"QMP"' in data
        assert b"QEMU 7.2.0 monitor" not in data
        s.sendall(b'{"execute": "qmp_capabilities"}\n')
        read_until(s, b'"return": {}')
        # Ctrl-a c: the HMP monitor shows its held banner and a prompt.
        s.sendall(b"\x01c")
        data = read_until(s, b"(qemu) ")
        assert b"QEMU 7.2.0 monitor" in data
        s.sendall(b"info chardev\r")
        data = read_until(s, b"m: filename=mux\r\n(qemu) ").decode()
        assert f"m-base: filename=unix:{path},server=on" in data
        s.sendall(b"\x01h")
        assert b"C-a c    switch between console and monitor" in \
            read_until(s, b"C-a C-a  sends C-a")
        # Back to QMP.
        s.sendall(b"\x01c")
        s.sendall(b'{"execute": "query-status", "id": 5}\n')
        data = read_until(s, b'"id": 5}')
        assert b'"status": "running"' in data
        s.sendall(b'{"execute": "quit"}\n')
        assert p.wait(timeout=10) == 0
    finally:
        stop(p)


@pytest.mark.parametrize("args,message", [
    (["-chardev", "foo,id=x"],
     "-chardev foo,id=x: 'foo' is not a valid char driver name"),
    (["-chardev", "null"], "-chardev null: chardev: no id specified"),
    (["-chardev", "null,id=x,bogus=1"],
     "-chardev null,id=x,bogus=1: Invalid parameter 'bogus'"),
    (["-chardev", "file,id=x"],
     "-chardev file,id=x: chardev: file: no filename given"),
    (["-chardev", "pipe,id=x"],
     "-chardev pipe,id=x: chardev: pipe: no device path given"),
    (["-chardev", "stdio,id=x,signal=maybe"],
     "-chardev stdio,id=x,signal=maybe: Parameter 'signal' expects 'on' or "
     "'off'"),
    (["-chardev", "null,id=x", "-chardev", "null,id=x"],
     "-chardev null,id=x: Duplicate ID 'x' for chardev"),
    (["-chardev", "socket,id=x,path=/nonexistent/dir/s,server=on,wait=off"],
     "Failed to bind socket to /nonexistent/dir/s: No such file or "
     "directory"),
    (["-chardev", "socket,id=x,path=/nonexistent/s"],
     "Failed to connect to '/nonexistent/s': No such file or directory"),
    (["-chardev", "socket,id=x,path=/tmp/x,server=on,reconnect=1"],
     "'reconnect' option is incompatible with socket in server listen mode"),
    (["-chardev", "file,id=x,path=/nonexistent/dir/f"],
     "Could not open '/nonexistent/dir/f': No such file or directory"),
    (["-chardev", "stdio,id=a", "-chardev", "stdio,id=b"],
     "-chardev stdio,id=b: cannot use stdio by multiple character devices"),
    (["-chardev", "socket,id=x,fd=999"], "Unable to parse FD number 999"),
    (["-chardev", "ringbuf,id=x,size=1000"],
     "size of ringbuf chardev must be power of two"),
    (["-serial", "bogus:thing"], "'bogus:thing' is not a valid char driver"),
    (["-monitor", "tcp:nocolon"], "lacks a port"),
])
def test_bad_chardev_options(args, message):
    err = run_fail(*args)
    assert err.startswith("qemu-system-x86_64: ")
    assert message in err
    assert err.count("\n") == 1
