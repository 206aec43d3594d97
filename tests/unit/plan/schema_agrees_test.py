#!/usr/bin/env python3
# schemas/plan.schema.json and the C parser (partctl validate --offline)
# agree on every value of a list: each value is put into a plan that is
# fine otherwise, and the schema's verdict must be the parser's. A rule
# one of them has and the other lacks (memory 0, pool 0, ttyS9, a name
# starting with '-') fails here.
#
#   schema_agrees_test.py PARTCTL SCHEMA SCRATCH_DIR
import copy
import json
import os
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    sys.exit("schema_agrees_test: needs python3-jsonschema (scripts/deps.sh installs it)")

partctl, schema_path, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
with open(schema_path) as f:
    schema = json.load(f)
validator = jsonschema.Draft202012Validator(schema)

BASE = {
    "version": 1,
    "pool": {"size": "1T"},
    "partitions": [{"name": "web", "cpus": "2-3", "memory": "1G", "kernel": "/boot/bzImage"}],
}

# (where, values): where is a path of keys/indexes into BASE
CASES = [
    (("version",), [1, 0, 2, "1"]),  # not 1.0: JSON Schema calls it an integer
    (("boot_cpus",), ["0-1", "0, 2-3", "x", "1-"]),
    (("pool", "size"), [0, "0", "0G", "00K", 1 << 30, "1073741824", "1T", "1048576K", -1, "x", "1.5G",
      "1g"]),
    (("partitions", 0, "name"),
     ["web", "-web", "web-", "_x", ".x", "x.y", "a" * 31, "a" * 32, "we b", "",
      "console", "echo", "control", "version", "pool_nodes", "café"]),
    (("partitions", 0, "memory"),
     [0, "0", "0M", "0K", 4096, 4097, 8192, -4096, "4K", "2K", "6K", "12K", "100K", "102K",
      "4k", "1G", "512M", "1g", "4096", "1.5G", "G"]),
    (("partitions", 0, "cpus"),
     ["2-3", "", "x", {"count": 0}, {"count": 1}, {"count": 65535}, {"count": 65536},
      {"count": 2, "numa_node": 0}, {"count": 2, "numa_node": 65535},
      {"count": 2, "numa_node": 65536}, {"count": 2, "numa_node": -1}, {"numa_node": 0},
      {"count": 2, "node": 0}]),
    (("partitions", 0, "numa_node"), [0, 1023, 1024, -1, "0"]),
    (("partitions", 0, "console"),
     ["none", "ttyS0", "ttyS1", "ttyS3", "ttyS4", "ttyS9", "ttyS10", "ttyS01", "io:0x2f8",
      "io:0x1", "io:0x0001", "io:0xffff", "io:0x0", "io:0x0000", "io:0x10000", "io:0x",
      "io:0xg", "com1", "ttyS"]),
    (("partitions", 0, "kernel"), ["/boot/x", "boot/x", ""]),
    (("partitions", 0, "initrd"), ["", "/boot/i", "boot/i"]),
    (("partitions", 0, "cmdline"), ["", "a b", "a\nb", "x" * 2047, "x" * 2048]),
    (("partitions", 0, "autostart"), [True, False, "yes", 1]),
    (("partitions", 0, "smt_split"), [True, False, 1]),
    (("partitions", 0, "stop_timeout"), [0, 1, 3600, 3601, "5"]),
    (("partitions", 0, "hang_timeout"), [-1, 0, 86400, 86401]),
    (("partitions", 0, "on_hang"), ["none", "kill", "restart", "reboot"]),
]


def put(doc, where, value):
    d = doc
    for k in where[:-1]:
        d = d[k]
    d[where[-1]] = value


def parser_valid(doc, n):
    path = os.path.join(scratch, f"case{n}.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    r = subprocess.run([partctl, "--json", "validate", "--offline", path],
                       capture_output=True, text=True)
    out = json.loads(r.stdout)
    if out["valid"] != (r.returncode == 0):
        sys.exit(f"partctl exit {r.returncode} but valid {out['valid']}: {r.stdout}")
    return out["valid"], out.get("problems", [])


os.makedirs(scratch, exist_ok=True)
if not validator.is_valid(BASE) or not parser_valid(BASE, 0)[0]:
    sys.exit("the base plan must be valid for both")
n = disagree = 0
for where, values in CASES:
    for value in values:
        n += 1
        doc = copy.deepcopy(BASE)
        put(doc, where, value)
        by_schema = validator.is_valid(doc)
        by_parser, problems = parser_valid(doc, n)
        if by_schema != by_parser:
            disagree += 1
            print(f"DISAGREE /{'/'.join(map(str, where))} = {json.dumps(value)}: "
                  f"schema {'accepts' if by_schema else 'rejects'}, "
                  f"parser {'accepts' if by_parser else 'rejects'}"
                  + (f" ({problems[0]['message']})" if problems else ""))
print(f"schema and parser: {n - disagree} of {n} values agree")
sys.exit(1 if disagree else 0)
