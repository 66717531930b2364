#!/usr/bin/env python3
"""A pass-through filter for benchmarks (docs/plugin-protocol.md): answers the handshake with the input schema,
then answers every record line with the line itself, unparsed. That is a correct answer only because kura's
record lines are exactly the output records of an unchanged schema; a real filter parses what it reads."""
import json
import sys

hello = json.loads(sys.stdin.readline())
sys.stdout.write(json.dumps({"schema": hello["schema"]}) + "\n")
sys.stdout.flush()
sys.stdout.writelines(sys.stdin)
