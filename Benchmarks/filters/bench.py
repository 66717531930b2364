#!/usr/bin/env python3
"""Times `kura run` over the 1M-row events CSV.gz (gen_events.py --rows 1000000 --seed 42) to the null output,
without filters and with the filter configurations below, in interleaved rounds; prints the median wall time of
each, the records per second it makes, and its ratio to the run without filters (the median of the round-by-round ratios), and the same for the
CPU time (user + system) of the run, which a busy machine disturbs less.

    python3 Benchmarks/filters/bench.py --kura .build/release/kura --events /tmp/events-1m.csv.gz -n 5
    python3 Benchmarks/filters/bench.py --kura .build/release/kura --events /tmp/events-1m.csv.gz --only 'external pass-through'

The external filters are found through KURA_PLUGIN_PATH, set to the `plugins` folder beside this file.
"""
import argparse, os, resource, statistics, subprocess, tempfile, time

PARSER = """in:
  type: file
  path_prefix: {events}
  decoders:
    - {{type: gzip}}
  parser:
    type: csv
    skip_header_lines: 1
    newline: LF
    escape: '"'
    columns:
      - {{name: id, type: long}}
      - {{name: user_id, type: long}}
      - {{name: event_time, type: timestamp, format: '%Y-%m-%d %H:%M:%S'}}
      - {{name: event_type, type: string}}
      - {{name: price, type: double}}
      - {{name: quantity, type: long}}
      - {{name: country, type: string}}
      - {{name: is_mobile, type: boolean}}
      - {{name: referrer, type: string}}
      - {{name: attributes, type: json}}
out:
  type: "null"
exec:
  max_threads: 1
"""

CASES = {
    "none": "",
    # column (keep 8 of 10 columns, a default for null prices) + row (a condition that keeps every row, so the
    # output does the same work as without filters)
    "column+row": """filters:
  - type: column
    columns:
      - {name: id}
      - {name: user_id}
      - {name: event_time}
      - {name: event_type}
      - {name: price, default: 0.0}
      - {name: country}
      - {name: is_mobile}
      - {name: attributes}
  - type: row
    where: price >= 0.0 AND country != 'ZZ'
""",
    "expr (double)": """filters:
  - type: column
    add_columns:
      - {name: price_with_tax, expr: "coalesce(price, 0) * 1.1"}
""",
    "expr (string)": """filters:
  - type: column
    add_columns:
      - {name: event_kind, expr: "lower(event_type)"}
""",
    # an out-of-process filter that echoes every record (plugins/filter-passthrough: cat after the handshake), so
    # the time is kura's side of the protocol: encoding the records, the pipes, decoding the answers
    "external pass-through": """filters:
  - type: passthrough
""",
    # the same through a Python filter that writes back each line it reads (plugins/filter-passthrough_py)
    "external pass-through (python)": """filters:
  - type: passthrough_py
""",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kura", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--only", help="comma-separated cases to run besides none (default: all)")
    a = ap.parse_args()
    cases = {k: v for k, v in CASES.items() if k == "none" or not a.only or k in a.only.split(",")}
    env = dict(os.environ, KURA_PLUGIN_PATH=os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugins"))
    work = tempfile.mkdtemp(prefix="kura-filter-bench-")
    configs = {}
    for name, filters in cases.items():
        path = os.path.join(work, name.replace(" ", "_").replace("(", "").replace(")", "").replace("+", "_") + ".yml")
        with open(path, "w") as f:
            f.write(PARSER.format(events=os.path.abspath(a.events)) + filters)
        configs[name] = path
    times = {name: [] for name in cases}
    cpus = {name: [] for name in cases}
    for rnd in range(a.n + 1):  # round 0 warms the page cache and is not counted
        for name, path in configs.items():
            t = time.monotonic()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            out = subprocess.run([a.kura, "run", path], capture_output=True, text=True, env=env)
            elapsed = time.monotonic() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            if out.returncode != 0 or "1,000,000" not in out.stdout:
                raise SystemExit(f"{name}: exit {out.returncode}\n{out.stdout}\n{out.stderr}")
            if rnd > 0:
                times[name].append(elapsed)
                cpus[name].append(cpu)
    base, cpu_base = times["none"], cpus["none"]
    print("| run | median wall s | wall ratio | median CPU s | CPU ratio | k records/s |")
    print("|---|---|---|---|---|---|")
    for name, ts in times.items():
        ratio = statistics.median(t / b for t, b in zip(ts, base))
        cpu_ratio = statistics.median(t / b for t, b in zip(cpus[name], cpu_base))
        print(f"| {name} | {statistics.median(ts):.3f} | {ratio:.3f} | {statistics.median(cpus[name]):.3f} | {cpu_ratio:.3f} | {1000 / statistics.median(ts):.0f} |")


if __name__ == "__main__":
    main()
