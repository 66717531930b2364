#!/usr/bin/env python3
"""Times `kura serve` on a large history: copies a warehouse made by the sample backfill (samples/out/jobs.db),
adds 10,000 sessions of one job and 1,000,000 rejected records of one run, starts `kura serve` on it and reports
the median and worst of 20 requests to / and /jobs/NAME.

    python3 Benchmarks/serve_bench.py [KURA_BINARY]   (default .build/debug/kura)
"""
import shutil, sqlite3, subprocess, sys, tempfile, time, urllib.request

kura = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/kura"
tmp = tempfile.mkdtemp(prefix="kura-serve-bench-")
db_path = tmp + "/jobs.db"
shutil.copy("samples/out/jobs.db", db_path)
db = sqlite3.connect(db_path)
t0 = 1_600_000_000
db.executemany(
    "INSERT INTO _kura_job_attempts VALUES (?, ?, 1, ?, ?, ?, ?, NULL)",
    [("big_job", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i * 3600)),
      "succeeded" if i % 17 else "failed",
      time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i * 3600 + 5)),
      time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i * 3600 + 65)), "r%d" % i) for i in range(10_000)])
run = db.execute("SELECT run_id FROM _kura_runs LIMIT 1").fetchone()[0]
db.executemany(
    "INSERT INTO _kura_rejects (run_id, target_table, file, line, byte_offset, column_name, reason, message, raw, length) "
    "VALUES (?, 'events', 'f.csv', ?, 0, 'price', 'CAST', 'bad', 'raw row', 7)",
    ((run, i) for i in range(1_000_000)))
db.commit()
db.close()
server = subprocess.Popen([kura, "serve", "--warehouse", db_path, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
base = server.stdout.readline().split()[2].rstrip("/")
try:
    for path in ["/", "/jobs/big_job", "/runs/" + run]:
        times = []
        for _ in range(20):
            start = time.perf_counter()
            urllib.request.urlopen(base + path).read()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print("%-40s median %6.1f ms  worst %6.1f ms" % (path, times[len(times) // 2], times[-1]))
finally:
    server.terminate()
    server.wait()
    shutil.rmtree(tmp)
