"""Trains a small model on one session's user features and writes it, with its metrics, per session.

Reads the features of KURA_SESSION_DATE from the job warehouse (KURA_WAREHOUSE_PATH for SQLite; for PostgreSQL,
psql, which connects through the PG* variables kura sets), fits a least-squares line predicting 30-day spend from
30-day activity, and writes model.json and metrics.json under KURA_MODEL_DIR/<session date>/
(default: samples/out/models/ beside this repository's samples). Exits 1 when the session has no features.
"""
import json
import os
import sqlite3
import subprocess
import sys

QUERY = ("SELECT events_30d, purchases_30d, spend_30d FROM user_features "
         "WHERE session_date = '{date}' ORDER BY user_id")


def features(date):
    url = os.environ.get("KURA_WAREHOUSE_URL", "")
    if url.startswith("postgres"):
        done = subprocess.run(["psql", "-X", "-q", "-At", "-F", ",", "-c", QUERY.format(date=date)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"psql failed: {done.stderr.strip()}")
        out = done.stdout
        return [tuple(float(v) for v in line.split(",")) for line in out.splitlines() if line]
    with sqlite3.connect(os.environ["KURA_WAREHOUSE_PATH"]) as db:
        return [tuple(float(v) for v in row) for row in db.execute(QUERY.format(date=date))]


def solve(xs, ys):
    """Least squares for y = b0 + b1*x1 + b2*x2 by the normal equations (3x3, Gaussian elimination)."""
    rows = [[1.0, x1, x2] for x1, x2 in xs]
    a = [[sum(r[i] * r[j] for r in rows) for j in range(3)] for i in range(3)]
    b = [sum(r[i] * y for r, y in zip(rows, ys)) for i in range(3)]
    for i in range(3):
        a[i][i] += 1e-9  # keeps a degenerate sample solvable
    for i in range(3):
        p = max(range(i, 3), key=lambda k: abs(a[k][i]))
        a[i], a[p], b[i], b[p] = a[p], a[i], b[p], b[i]
        for k in range(i + 1, 3):
            f = a[k][i] / a[i][i]
            a[k] = [u - f * v for u, v in zip(a[k], a[i])]
            b[k] -= f * b[i]
    w = [0.0, 0.0, 0.0]
    for i in reversed(range(3)):
        w[i] = (b[i] - sum(a[i][j] * w[j] for j in range(i + 1, 3))) / a[i][i]
    return w


def main():
    date = os.environ["KURA_SESSION_DATE"]
    rows = features(date)
    if not rows:
        print(f"no user features for {date}; run user_features for that session first", file=sys.stderr)
        return 1
    xs = [(r[0], r[1]) for r in rows]
    ys = [r[2] for r in rows]
    w = solve(xs, ys)
    predictions = [w[0] + w[1] * x1 + w[2] * x2 for x1, x2 in xs]
    mean = sum(ys) / len(ys)
    total = sum((y - mean) ** 2 for y in ys)
    residual = sum((y - p) ** 2 for y, p in zip(ys, predictions))
    metrics = {"session_date": date, "users": len(rows), "mean_spend_30d": round(mean, 4),
               "r2": round(1 - residual / total, 6) if total > 0 else 1.0,
               "run_id": os.environ.get("KURA_RUN_ID")}
    default_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples", "out", "models")
    out = os.path.join(os.environ.get("KURA_MODEL_DIR", default_dir), date)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump({"features": ["events_30d", "purchases_30d"], "intercept": w[0], "weights": w[1:]}, f, indent=2)
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print(f"trained on {len(rows)} users for {date}: r2 {metrics['r2']}; wrote {os.path.normpath(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
