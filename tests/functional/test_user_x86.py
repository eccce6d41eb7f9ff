"""qemu-x86_64 differential tests: native vs Quasar.

Each case runs the same command natively and under Quasar's qemu-x86_64
and compares stdout, stderr and the exit status byte for byte.  Host
programs (busybox, coreutils, grep/sed/awk, gzip/xz, python3, perl, gcc)
come from the machine; the static test programs in tests/guests/user-x86/
are compiled here with the host gcc.  An unimplemented instruction shows
up as a difference (SIGILL), never as a skip.
"""
import os
import random
import shutil
import subprocess

import pytest

from conftest import REPO, quasar_bin, host_tool

GUESTS = os.path.join(REPO, "tests", "guests", "user-x86")
TIMEOUT = 120


@pytest.fixture(scope="module")
def qemu():
    return quasar_bin("linux-user/qemu-x86_64")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A fixed tree and a few MiB of deterministic data."""
    d = tmp_path_factory.mktemp("userx86")
    rnd = random.Random(1234)
    words = ["alpha", "beta", "gamma", "delta", "quasar", "emulator", "x86"]
    with open(d / "text.txt", "w") as f:
        for i in range(60000):
            f.write(" ".join(rnd.choice(words) for _ in range(8)) +
                    f" {rnd.randint(0, 10**9)}\n")
    with open(d / "random.bin", "wb") as f:
        f.write(bytes(rnd.getrandbits(8) for _ in range(1 << 20)))
    tree = d / "tree"
    for sub in ["a", "b/c", "b/d"]:
        os.makedirs(tree / sub, exist_ok=True)
    for i, name in enumerate(["a/one", "b/two", "b/c/three", "b/d/four"]):
        p = tree / name
        p.write_text("x" * (i * 100 + 1))
        os.utime(p, (1_600_000_000 + i, 1_600_000_000 + i))
    for sub in ["a", "b/c", "b/d", "b", ""]:
        os.utime(tree / sub, (1_600_000_000, 1_600_000_000))
    return d


def run(argv, stdin=None, cwd=None, env=None):
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, cwd=cwd, env=env,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def check_same(qemu, argv, stdin=None, cwd=None, env=None):
    native = run(argv, stdin, cwd, env)
    emulated = run([qemu] + argv, stdin, cwd, env)
    assert emulated[0] == native[0], (
        f"exit status {emulated[0]} != native {native[0]}\n"
        f"stderr: {emulated[2][-2000:]!r}")
    assert emulated[2] == native[2], "stderr differs"
    assert emulated[1] == native[1], "stdout differs"
    return native


# ---- host programs ---------------------------------------------------------

BUSYBOX = [
    ["echo", "hello", "world"],
    ["seq", "1", "3", "200"],
    ["ls", "-lR", "TREE"],
    ["sort", "-r", "TEXT"],
    ["sha256sum", "TEXT", "RANDOM"],
    ["md5sum", "TEXT", "RANDOM"],
    ["wc", "TEXT"],
    ["sh", "-c", "for i in 1 2 3; do echo $i; done | sort -r"],
    ["expr", "123456789", "*", "987654321"],
    ["od", "-An", "-tx1", "-N256", "RANDOM"],
    ["ls", "/nonexistent"],
]


def subst(argv, data_dir):
    m = {"TREE": str(data_dir / "tree"), "TEXT": str(data_dir / "text.txt"),
         "RANDOM": str(data_dir / "random.bin")}
    out = []
    for a in argv:
        for k, v in m.items():
            a = a.replace(k, v) if a.startswith(k) or f" {k}" in a else a
        out.append(a)
    return out


@pytest.mark.parametrize("args", BUSYBOX, ids=lambda a: "busybox-" + a[0])
def test_busybox(qemu, data_dir, args):
    bb = "/bin/busybox"
    if not os.path.exists(bb):
        pytest.skip("busybox-static is not installed")
    check_same(qemu, [bb] + subst(args, data_dir), cwd=data_dir)


COREUTILS = [
    ["ls", "-l", "--time-style=+%Y-%m-%d", "TREE/b"],
    ["ls", "-la", "-R", "--time-style=+%s", "TREE"],
    ["sort", "TEXT"],
    ["sort", "-n", "-k9", "TEXT"],
    ["sha256sum", "TEXT", "RANDOM"],
    ["md5sum", "RANDOM"],
    ["factor", "1234567891011", "600851475143", "18446744073709551557"],
    ["seq", "-w", "1", "7", "1000"],
    ["od", "-Ax", "-tx2z", "-N512", "RANDOM"],
    ["grep", "-E", "-c", "alpha (beta|gamma)+ [0-9]{3}", "TEXT"],
    ["grep", "-n", "quasar emulator x86", "TEXT"],
    ["sed", "-e", "s/alpha/ALPHA/g; s/[0-9]\\+$/N/", "TEXT"],
    ["awk", "{n[$1]++; s += $9} END {for (k in n) print k, n[k]; "
     "printf \"%.6f\\n\", s / NR}", "TEXT"],
    ["tr", "a-z", "A-Z"],
    ["find", "TREE", "-name", "t*", "-type", "f"],
    ["diff", "TREE/a/one", "TREE/b/two"],
    ["bash", "-c", "declare -A h; for w in $(head -500 TEXT); do "
     "h[$w]=$((h[$w]+1)); done; for k in \"${!h[@]}\"; do echo $k ${h[$k]};"
     " done | sort | tail -3; printf '%5.2f|%x\\n' 3.14159 255"],
    ["bzip2", "-c", "TEXT"],
    ["cksum", "RANDOM"],
    ["base64", "RANDOM"],
]


@pytest.mark.parametrize("args", COREUTILS, ids=lambda a: a[0])
def test_coreutils(qemu, data_dir, args):
    prog = host_tool(args[0])
    stdin = b"hello tr\n" if args[0] == "tr" else None
    check_same(qemu, [prog] + subst(args[1:], data_dir), stdin=stdin,
               cwd=data_dir)


@pytest.mark.parametrize("tool,cargs,dargs", [
    ("gzip", ["-c", "-6"], ["-d", "-c"]),
    ("xz", ["-c", "-T1", "-3"], ["-d", "-c"]),
])
def test_compress_roundtrip(qemu, data_dir, tool, cargs, dargs):
    prog = host_tool(tool)
    raw = (data_dir / "text.txt").read_bytes()[:2 << 20] + \
        (data_dir / "random.bin").read_bytes()
    rc, comp, _ = check_same(qemu, [prog] + cargs, stdin=raw)
    assert rc == 0
    rc, back, _ = check_same(qemu, [prog] + dargs, stdin=comp)
    assert rc == 0 and back == raw


PYTHON = {
    "floats": "import math\n"
              "print(repr(0.1+0.2), 1e300*1e10, -0.0, math.pi, "
              "'%.20e' % math.e, float('nan'), 2.5.hex())\n"
              "print([round(x / 7, 5) for x in range(-20, 20)])\n"
              "print(math.sin(1e22), math.exp(700.5), math.log10(12345))\n",
    "bigint": "print(2**4423 - 1)\nimport math\n"
              "print(math.factorial(500) % (10**40 + 7))\n"
              "print(pow(3, 10**5, 10**50 + 151), (-7) // 2, 7 % -3)\n",
    "hashlib": "import hashlib\nfor n in ['md5','sha1','sha256','sha512',"
               "'sha3_256','blake2b']:\n"
               "    print(n, hashlib.new(n, b'quasar' * 1000).hexdigest())\n",
    "json": "import json\nd = {'a': [1, 2.5, None, True], 'b': 'x\\u00e9',"
            " 'c': {'n': 10**20}}\ns = json.dumps(d, sort_keys=True)\n"
            "print(s)\nprint(json.loads(s) == d)\n",
    "threading": "import threading\nres = [0] * 8\n"
                 "def w(i):\n    s = 0\n"
                 "    for k in range(20000): s += k * i\n    res[i] = s\n"
                 "ts = [threading.Thread(target=w, args=(i,)) "
                 "for i in range(8)]\n"
                 "[t.start() for t in ts]\n[t.join() for t in ts]\n"
                 "print(res)\n",
    "multiprocessing": "import multiprocessing as mp\n"
                       "def f(x): return x * x\n"
                       "if __name__ == '__main__':\n"
                       "    with mp.Pool(2) as p:\n"
                       "        print(sum(p.map(f, range(1000))))\n",
    "exception": "import sys\nprint('out')\n"
                 "sys.stderr.write('err\\n')\nraise SystemExit(7)\n",
}


@pytest.mark.parametrize("name", sorted(PYTHON))
def test_python3(qemu, tmp_path, name):
    py = "/usr/bin/python3"  # Debian's, not a pyenv shim script
    if not os.path.exists(py):
        pytest.skip("python3 is not installed")
    script = tmp_path / f"{name}.py"
    script.write_text(PYTHON[name])
    check_same(qemu, [py, str(script)], cwd=tmp_path)


NODE = {
    "basic": ["-e", "console.log(1 + 1, [3, 1, 2].sort(), 2n ** 100n,"
              " JSON.stringify({a: [1, 2.5, null]}), (0.1 + 0.2).toString())"],
    # the bytecode interpreter only (no JIT): V8's builtins alone
    "jitless": ["--jitless", "-e", "let s = 0; for (let i = 0; i < 200000;"
                " i++) s += i % 7; console.log(s, Math.sin(1e22))"],
    # hot loops and recursion get compiled by V8 (generated code)
    "jit": ["-e", "function f(n) { return n < 2 ? n : f(n - 1) + f(n - 2) }"
            "\nlet s = 0; for (let i = 0; i < 3e6; i++) s += i % 7;"
            "\nconst a = new Float64Array(1e5).map((_, i) => Math.sin(i));"
            "\nconsole.log(f(25), s, a.reduce((x, y) => x + y).toFixed(9))"],
    "crypto-zlib": ["-e", "const c = require('crypto'), z = require('zlib');"
                    "\nconsole.log(c.createHash('sha256').update('quasar')"
                    ".digest('hex'), z.gzipSync(Buffer.alloc(10000, 'a'))"
                    ".length, z.inflateSync(z.deflateSync(Buffer.from('hi')))"
                    ".toString())"],
    "worker": ["-e", "const {Worker} = require('worker_threads');\n"
               "const w = new Worker('const {parentPort} = require("
               "\"worker_threads\"); let s = 0; for (let i = 0; i < 1e6; "
               "i++) s += i; parentPort.postMessage(s)', {eval: true});\n"
               "w.on('message', m => { console.log('worker', m); "
               "w.terminate() })"],
    "child-process": ["-e", "const cp = require('child_process');\n"
                      "console.log(cp.execFileSync(process.execPath, ['-e',"
                      " 'console.log(6 * 7)']).toString().trim())"],
    "async-exit": ["-e", "setTimeout(() => { console.log('timeout');"
                   " process.exit(3) }, 10);\nPromise.resolve(1).then(v =>"
                   " console.log('promise', v));\n"
                   "try { null.x } catch (e) { console.error(e.name) }"],
}


@pytest.mark.parametrize("name", sorted(NODE))
def test_node(qemu, tmp_path, name):
    """node (V8: interpreter builtins, JIT code, threads, exec)."""
    node = "/usr/bin/node"
    if not os.path.exists(node):
        pytest.skip("nodejs is not installed (scripts/setup-deps.sh --tests)")
    check_same(qemu, [node] + NODE[name], cwd=tmp_path)


def test_perl(qemu):
    perl = "/usr/bin/perl"
    check_same(qemu, [perl, "-e",
                      'my %h; $h{$_ % 7} += $_ for 1..1000; '
                      'print join(",", map {"$_=$h{$_}"} sort keys %h), "\\n";'
                      ' printf("%.15g %s\\n", atan2(1,1)*4, 2**0.5);'
                      ' print scalar reverse("quasar"), "\\n";'])


def test_gcc_compiles(qemu, tmp_path):
    """gcc (cc1, as, ld all emulated) builds a program that runs natively."""
    gcc = host_tool("gcc")
    src = tmp_path / "prog.c"
    src.write_text('#include <stdio.h>\n'
                   'int main(void) { double s = 0; '
                   'for (int i = 1; i < 100; i++) s += 1.0 / i; '
                   'printf("%.12f\\n", s); return 5; }\n')
    rc, _, err = run([qemu, gcc, "-O2", "-o", str(tmp_path / "q"), str(src)])
    assert rc == 0, err
    run([gcc, "-O2", "-o", str(tmp_path / "n"), str(src)])
    assert run([str(tmp_path / "q")]) == run([str(tmp_path / "n")])


def test_dynamic_with_prefix(qemu):
    """-L / QEMU_LD_PREFIX: the interpreter is looked up under the prefix."""
    ls = host_tool("ls")
    native = run([ls, "/"])
    assert run([qemu, "-L", "/", ls, "/"]) == native
    env = dict(os.environ, QEMU_LD_PREFIX="/")
    assert run([qemu, ls, "/"], env=env) == native


def test_env_options(qemu):
    env = shutil.which("env")
    rc, out, _ = run([qemu, "-E", "QUASAR_T=1", "-U", "HOME", env])
    assert rc == 0
    assert b"QUASAR_T=1\n" in out
    assert not any(l.startswith(b"HOME=") for l in out.splitlines())


def test_strace(qemu):
    rc, out, err = run([qemu, "-strace", "/bin/true"])
    assert rc == 0
    assert b" exit_group(" in err


# ---- static test programs per instruction family ----------------------------

# file -> extra gcc flags
GUEST_PROGRAMS = {
    "flags.c": ["-O1"],
    "bitops.c": ["-O2", "-mpopcnt", "-mlzcnt", "-mbmi", "-mmovbe",
                 "-msse4.2"],
    "strings.c": ["-O1"],
    "atomics.c": ["-O2", "-pthread", "-mcx16"],
    "x87.c": ["-O1", "-lm"],
    "sse.c": ["-O1", "-msse4.2", "-maes", "-mpclmul", "-mxsave", "-lm"],
    "signals.c": ["-O1"],
    "smc.c": ["-O1"],
    "faults.c": ["-O1"],
    "mmx.c": ["-O1", "-mssse3"],
    "bmi.c": ["-O2", "-mbmi", "-mbmi2"],
    "nxfetch.c": ["-O1"],
    "stackops.c": ["-O1"],
    "simdexc.c": ["-O1"],
    "x87exc.c": ["-O1", "-lm"],
    "ssealign.c": ["-O1", "-msse4.2"],
}


@pytest.fixture(scope="module")
def guest_bin(tmp_path_factory):
    gcc = host_tool("gcc")
    out = tmp_path_factory.mktemp("guests")

    def build(name):
        src = os.path.join(GUESTS, name)
        exe = out / os.path.splitext(name)[0]
        flags = GUEST_PROGRAMS.get(name, ["-O1"])
        libs = [f for f in flags if f.startswith("-l")]
        cflags = [f for f in flags if not f.startswith("-l")]
        subprocess.run([gcc, "-static", "-g"] + cflags +
                       ["-o", str(exe), src] + libs, check=True)
        return str(exe)
    return build


@pytest.mark.parametrize("name", sorted(GUEST_PROGRAMS))
def test_guest_program(qemu, guest_bin, name):
    check_same(qemu, [guest_bin(name)])


def test_simd_exceptions(qemu, guest_bin):
    """Unmasked SSE exceptions (DIVSD, SQRTSD, DIVPD, CVTSD2SI, COMISD,
    CVTPD2PI, CVTSI2SS): SIGFPE with the native si_code and si_addr, the
    flag left in MXCSR, the destination and the registers unchanged.
    (Also in GUEST_PROGRAMS: test_x86_modes runs it in a Linux guest.)"""
    rc, out, _ = check_same(qemu, [guest_bin("simdexc.c")])
    assert b"divsd: sig=8 code=3 addr-ok=1" in out
    assert b"cvtsd2si: sig=8 code=7 addr-ok=1 mxcsr=1f01 eax=55" in out


def test_x87_exceptions(qemu, guest_bin):
    """Unmasked x87 exceptions: SIGFPE (FPE_FLTDIV) at the x87 insn after
    an unmasked FDIV by zero and at FWAIT, with ES and B in the saved FSW;
    feenableexcept + 1.0L / 0.0L in C."""
    rc, out, _ = check_same(qemu, [guest_bin("x87exc.c")])
    assert b"fld1: sig=8 code=3 addr-ok=1 swd=b084" in out
    assert b"fwait: sig=8 code=3 addr-ok=1 swd=b084" in out


def test_lockstep_tool(qemu, guest_bin, tmp_path):
    """tests/tools/x86-lockstep runs a program natively and under
    qemu-x86_64 in step (instruction by instruction, at syscalls, and
    switching from one to the other) and finds no difference."""
    tool = quasar_bin("tests/tools/x86-lockstep")
    gcc = host_tool("gcc")
    exe = tmp_path / "hello"
    src = tmp_path / "hello.c"
    src.write_text('#include <stdio.h>\n#include <string.h>\n'
                   'int main(void) { char b[64]; double d = 1;\n'
                   'for (int i = 0; i < 20; i++) d = d * 1.5 + i;\n'
                   'snprintf(b, sizeof b, "%.3f %zu", d, strlen("quasar"));\n'
                   'puts(b); return 3; }\n')
    subprocess.run([gcc, "-O1", "-o", str(exe), str(src)], check=True)
    for mode in ([], ["-S"], ["-k", "10"], ["-k", "10", "-m"]):
        p = subprocess.run([tool, "-q", qemu] + mode + ["--", str(exe)],
                           capture_output=True, timeout=600)
        out = p.stdout.decode()
        assert p.returncode == 0, out[-3000:]
        assert "no divergence" in out or "both ended" in out, out[-3000:]


def test_tiny_nolibc(qemu, tmp_path):
    gcc = host_tool("gcc")
    exe = tmp_path / "tiny"
    subprocess.run([gcc, "-static", "-nostdlib", "-o", str(exe),
                    os.path.join(GUESTS, "tiny.S")], check=True)
    rc, out, _ = check_same(qemu, [str(exe)])
    assert rc == 42 and out == b"hello from tiny\n"


# ---- emulator behaviour ------------------------------------------------------

def test_proc_self(qemu):
    """/proc/self/exe, /proc/self/maps and /proc/self/auxv show the guest."""
    py = "/usr/bin/python3"
    prog = ("import os, struct\n"
            "print(os.readlink('/proc/self/exe'))\n"
            "maps = open('/proc/self/maps').read()\n"
            "print('python3' in maps, '[stack]' in maps, 'qemu' in maps)\n"
            "a = open('/proc/self/auxv', 'rb').read()\n"
            "d = dict(struct.iter_unpack('QQ', a))\n"
            "print(d[6], d[4], d[3] != 0, d.get(0, 0))\n")
    rc, out, err = check_same(qemu, [py, "-c", prog])
    assert out.splitlines()[1] == b"True True False"


def test_proc_fstat(qemu):
    """fstat of an emulated /proc file looks like procfs (size 0, 1 KiB
    blocks, its mode), so stdio reads it in the same chunks as natively."""
    py = "/usr/bin/python3"
    prog = ("import os\n"
            "for p in ['/proc/self/maps', '/proc/self/cmdline',"
            " '/proc/self/auxv', '/proc/cpuinfo']:\n"
            "    with open(p, 'rb') as f:\n"
            "        st = os.fstat(f.fileno())\n"
            "        print(p, st.st_size, st.st_blksize, oct(st.st_mode),"
            " st.st_blocks)\n")
    rc, out, _ = check_same(qemu, [py, "-c", prog])
    assert rc == 0 and b"/proc/self/maps 0 1024 0o100444 0" in out


def test_execve_stays_emulated(qemu):
    """A guest's execve of an ELF program runs it under the emulator too."""
    sh = "/bin/busybox"
    rc, out, err = run([qemu, "-strace", sh, "sh", "-c",
                        "exec /bin/busybox echo from-child"])
    assert rc == 0 and out == b"from-child\n"
    # the exec'd program's own syscalls appear in the -strace log
    assert err.count(b" execve(") >= 1
    assert b'write(1,' in err.split(b" execve(")[-1]


def test_execve_script_and_cmdline(qemu, tmp_path):
    """#! scripts are run with their interpreter under the emulator, and
    /proc/self/cmdline shows the guest's argv."""
    script = tmp_path / "s.sh"
    script.write_text("#!/bin/busybox sh\necho script \"$@\"\n"
                      "/bin/busybox cat /proc/self/cmdline\n")
    script.chmod(0o755)
    argv = ["/bin/busybox", "sh", "-c", f"{script} a 'b c'"]
    rc, out, err = check_same(qemu, argv)
    assert out.startswith(b"script a b c\n/bin/busybox\0cat\0")
    rc, out, err = run([qemu, "-strace"] + argv)
    assert err.count(b" execve(") >= 2  # the script, then cat


def test_undefined_opcode_sigill(qemu, tmp_path):
    """An unimplemented opcode (VEX: vzeroupper) is #UD -> SIGILL, logged."""
    gcc = host_tool("gcc")
    src = tmp_path / "vex.S"
    src.write_text(".globl _start\n_start:\n vzeroupper\n"
                   " mov $60, %eax\n xor %edi, %edi\n syscall\n")
    exe = tmp_path / "vex"
    subprocess.run([gcc, "-static", "-nostdlib", "-o", str(exe), str(src)],
                   check=True)
    log = tmp_path / "log"
    rc, out, err = run([qemu, "-d", "unimp", "-D", str(log), str(exe)])
    assert rc == -4
    assert b"c5 f8 77" in log.read_bytes()


def test_cpu_models(qemu):
    rc, out, _ = run([qemu, "-cpu", "help"])
    assert rc == 0 and b"max" in out and b"qemu64" in out
    rc, out, _ = run([qemu, "-cpu", "nosuch", "/bin/true"])
    assert rc == 1


def test_binfmt_conf_export(repo_dir, tmp_path):
    script = os.path.join(repo_dir, "scripts", "qemu-binfmt-conf.sh")
    rc, out, err = run(["/bin/sh", script, "--systemd", "ALL", "--exportdir",
                        str(tmp_path), "--qemu-path", "/opt/quasar",
                        "--persistent", "yes"])
    assert rc == 0, err
    files = sorted(os.listdir(tmp_path))
    host = os.uname().machine
    assert f"qemu-{host}.conf" not in files
    assert "qemu-aarch64.conf" in files or host == "aarch64"
    text = (tmp_path / "qemu-aarch64.conf").read_text()
    assert text.startswith(":qemu-aarch64:M::\\x7fELF\\x02")
    assert text.rstrip().endswith(":/opt/quasar/qemu-aarch64:F")


def test_proc_cpuinfo_matches_cpuid(qemu):
    """/proc/cpuinfo flags are the emulated model's, not the host's."""
    rc, out, _ = run([qemu, "/bin/grep", "-m1", "^flags", "/proc/cpuinfo"])
    flags = out.split(b":", 1)[1].split()
    assert rc == 0 and b"sse4_2" in flags and b"bmi2" in flags
    assert b"avx" not in flags and b"avx2" not in flags
    rc, out, _ = run([qemu, "-cpu", "qemu64", "/bin/grep", "-m1", "^flags",
                      "/proc/cpuinfo"])
    assert b"sse4_2" not in out.split()


@pytest.mark.parametrize("args", [
    ["dgst", "-sha256", "RANDOM"],
    ["dgst", "-sha512", "RANDOM"],
    ["enc", "-aes-256-cbc", "-K", "00" * 32, "-iv", "01" * 16, "-in",
     "RANDOM"],
    ["enc", "-aes-128-gcm", "-K", "02" * 16, "-iv", "03" * 12, "-in",
     "RANDOM"],
    ["enc", "-chacha20", "-K", "04" * 32, "-iv", "05" * 16, "-in", "RANDOM"],
], ids=lambda a: a[1])
def test_openssl(qemu, data_dir, args):
    """OpenSSL's own CPUID dispatch: AES-NI, PCLMULQDQ, SSSE3 code paths."""
    openssl = host_tool("openssl")
    check_same(qemu, [openssl] + subst(args, data_dir))


def test_argv0_options(qemu):
    """-0 / QEMU_ARGV0 set the guest's argv[0] (busybox picks the applet)."""
    bb = "/bin/busybox"
    assert run([qemu, "-0", "echo", bb, "hi"]) == (0, b"hi\n", b"")
    env = dict(os.environ, QEMU_ARGV0="seq")
    assert run([qemu, bb, "3"], env=env) == (0, b"1\n2\n3\n", b"")


def test_stack_size_option(qemu):
    """-s / QEMU_STACK_SIZE size the guest stack ([stack] in maps)."""
    def stack_kib(argv, env=None):
        rc, out, _ = run(argv, env=env)
        line = [l for l in out.splitlines() if l.endswith(b"[stack]")][0]
        lo, hi = (int(x, 16) for x in line.split()[0].split(b"-"))
        return (hi - lo) // 1024
    assert stack_kib([qemu, "-s", "1M", "/bin/cat", "/proc/self/maps"]) == 1024
    env = dict(os.environ, QEMU_STACK_SIZE="2M")
    assert stack_kib([qemu, "/bin/cat", "/proc/self/maps"], env) == 2048
    assert run([qemu, "-s", "x", "/bin/true"])[0] == 1
