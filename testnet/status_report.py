"""Reads the testnet's `oms node status --json` outputs (a JSON list on stdin) and reports
whether every node is up and connected to every other. Exit 0 only then."""
import json
import os
import sys

nodes = json.load(sys.stdin)
quiet = os.environ.get("QUIET") == "1"
ids = {n["nodeID"] for n in nodes if n.get("nodeID")}
ok = True
for n in nodes:
    if "down" in n:
        ok = False
        if not quiet:
            print(f"{n['down']:14}  DOWN")
        continue
    peers = {s["peer"] for s in n["sessions"]}
    missing = ids - peers - {n["nodeID"]}
    ok = ok and not missing
    rtts = [s.get("smoothedRTTMilliseconds") for s in n["sessions"]]
    rtt = "/".join(f"{r:.2f}" for r in rtts if r is not None) or "-"
    if not quiet:
        line = f"{n['nodeID'][:14]}  {n.get('listen') or '-':21}  sessions {len(peers)}/{len(ids) - 1}"
        line += f"  srtt ms {rtt}  up {n['uptimeSeconds']:.0f}s"
        if missing:
            line += f"  MISSING {len(missing)}"
        print(line)
sys.exit(0 if ok else 1)
