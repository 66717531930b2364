#!/usr/bin/env python3
"""kura output `csvdir`: writes each task's records to DIRECTORY/PREFIX.TASK.csv (a header line, then one line per
record), through a hidden temporary file that is renamed into place only at the commit, so a failed or aborted run
leaves no file behind.

Speaks docs/plugin-protocol.md with the standard library only: reads the handshake line, answers {"ready": true},
reads records until ["finish"], answers with one {"reject": ...} per record refused (a null in a `not_null`
column) and {"prepared": ...}, then renames the file on ["commit"] or deletes it on ["abort", reason].
"""
import csv
import json
import os
import sys


def cell(value):
    """A JSON value as CSV text: null is empty, booleans are true/false, arrays and objects stay JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def answer(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def write_records(temp, names, not_null):
    """Writes the records up to the control line that ends them; returns (that line, records, rejects)."""
    received, rejects = 0, []
    with open(temp, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(names)
        for line in sys.stdin:
            if line.startswith("["):
                return json.loads(line), received, rejects
            received += 1
            record = json.loads(line)
            nulls = [n for n in not_null if record.get(n) is None]
            if nulls:
                rejects.append({"record": received, "column": nulls[0], "reason": f"column {nulls[0]!r} is null"})
                continue
            out.writerow([cell(record.get(n)) for n in names])
    return None, received, rejects


def main():
    hello = json.loads(sys.stdin.readline())
    options, schema, task = hello["options"], hello["schema"], hello["task"]
    names = [c["name"] for c in schema]
    unknown = [n for n in options["not_null"] if n not in names]
    if unknown:
        answer({"error": f"not_null names {unknown[0]!r}, which is not a column of the output"})
        return 2
    directory = os.path.join(hello["working_directory"], options["directory"])
    os.makedirs(directory, exist_ok=True)
    final = os.path.join(directory, f"{options['prefix']}.{task['index']:03d}.csv")
    temp = os.path.join(directory, f".{options['prefix']}.{task['index']:03d}.csv.{hello['run_id']}.tmp")
    answer({"ready": True})
    try:
        control, received, rejects = write_records(temp, names, options["not_null"])
        if control != ["finish"]:
            print(f"csvdir: the records ended with {control!r}, not [\"finish\"]", file=sys.stderr)
            os.remove(temp)
            return 1
        for reject in rejects:
            answer({"reject": reject})
        answer({"prepared": {"received": received}})
        control = json.loads(sys.stdin.readline() or "null")
    except BaseException:
        os.remove(temp)
        raise
    if control == ["commit"]:
        os.replace(temp, final)
        answer({"committed": True})
        return 0
    os.remove(temp)
    print(f"csvdir: task {task['index']} aborted: {control!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
