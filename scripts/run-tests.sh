#!/bin/sh
# Runs every test suite (unit via meson, functional + interop via pytest)
# and ends with one line: "N passed, N failed, N skipped".
# Exit status is non-zero when anything failed.
set -u
BUILD=${QUASAR_BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
export QUASAR_BUILD="$TOP/$BUILD"
PY=/usr/bin/python3

meson test -C "$BUILD" --suite unit --print-errorlogs --num-processes 2 \
    >"$BUILD/unit-tests.log" 2>&1
unit_rc=$?
tail -n 12 "$BUILD/unit-tests.log"

# Functional and interop tests; each test has a time limit.
$PY -m pytest -p timeout --timeout=600 -q -rs \
    --junitxml="$BUILD/pytest.xml" tests/functional tests/interop
py_rc=$?

$PY - "$BUILD" "$unit_rc" "$py_rc" <<'PYEOF'
import json, os, sys
import xml.etree.ElementTree as ET

build, unit_rc, py_rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
passed = failed = skipped = 0

# Unit: count TAP subtests of every meson test (a test that crashed before
# printing its plan counts as one failure).
log = os.path.join(build, "meson-logs", "testlog.json")
if os.path.exists(log):
    for line in open(log):
        t = json.loads(line)
        suites = t.get("suite") or []
        if suites and not any(x.endswith("unit") for x in suites):
            continue
        out = t.get("stdout", "") or ""
        p = f = s = 0
        for l in out.splitlines():
            if l.startswith("ok "):
                if "# SKIP" in l:
                    s += 1
                else:
                    p += 1
            elif l.startswith("not ok "):
                if "# TODO" in l:
                    s += 1
                else:
                    f += 1
        if t.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and f == 0:
            f = 1
        passed += p; failed += f; skipped += s
elif unit_rc != 0:
    failed += 1

xml = os.path.join(build, "pytest.xml")
if os.path.exists(xml):
    root = ET.parse(xml).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    for s in suites:
        n = int(s.get("tests", 0)); f = int(s.get("failures", 0))
        e = int(s.get("errors", 0)); k = int(s.get("skipped", 0))
        passed += n - f - e - k; failed += f + e; skipped += k
elif py_rc not in (0, 5):
    failed += 1

print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or unit_rc not in (0,) or py_rc not in (0, 5) else 0)
PYEOF
