#!/usr/bin/env python3
"""kura filter `mask`: replaces string columns by the SHA-256 hex digest of salt + value (nulls stay null).

Speaks docs/plugin-protocol.md with the standard library only: reads the handshake line, answers with the
output schema (the input schema unchanged), then answers each record line with one output line.
"""
import hashlib
import json
import sys


def main():
    hello = json.loads(sys.stdin.readline())
    options, schema = hello["options"], hello["schema"]
    types = {c["name"]: c["type"] for c in schema}
    for name in options["columns"]:
        if types.get(name) != "string":
            # A refusal is the answer line {"error": ...} and a non-zero exit status.
            print(json.dumps({"error": f"column {name!r} is not a string column of the input"}), flush=True)
            return 2
    print(json.dumps({"schema": schema}), flush=True)
    salt = options["salt"].encode()
    columns = options["columns"]
    out = sys.stdout
    for line in sys.stdin:
        record = json.loads(line)
        for name in columns:
            value = record.get(name)
            if value is not None:
                record[name] = hashlib.sha256(salt + value.encode()).hexdigest()
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
