#!/usr/bin/env python3
"""Measures the running testnet's gossip against what issue 6 promises (protocol-spec section 17).

    gossip_check.py discovery   a new public manifest is searchable on every node within 2 s of
                                its publication (each node's catalog records, by the machine's
                                one clock, when it stored the manifest: polling 32 APIs fast
                                enough to time it would load the nodes it times)
    gossip_check.py kill        a node killed with SIGKILL is declared dead by every other node
                                within the time its settings promise (membership.promisedDetectionMs)
    gossip_check.py loss SECS   under the fault layer's message loss, no live node is declared
                                dead by any node for SECS seconds (counted from each node's
                                oms_membership_changes_total{status="dead"})

Reads the testnet in testnet/.run (testnet/up); $OMS is the oms binary. Prints what it
measured; exits 1 when a promise is broken. Each node is polled from its own thread, so a slow
node does not delay the others' readings.
"""
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".run")
OMS = os.environ.get("OMS", "oms")


def nodes():
    """(name, data dir, pid) of each node whose process runs."""
    found = []
    for name in sorted(os.listdir(RUN), key=lambda n: int(n.split("-")[1]) if n.startswith("node-") else 0):
        if not name.startswith("node-"):
            continue
        directory = os.path.join(RUN, name)
        try:
            pid = int(open(os.path.join(directory, "pid")).read())
            os.kill(pid, 0)
        except (OSError, ValueError):
            continue
        found.append((name, os.path.join(directory, "data"), pid))
    return found


def get(data, path, token=True, timeout=2.0):
    address = open(os.path.join(data, "api.addr")).read().strip()
    request = urllib.request.Request(f"http://{address}{path}")
    if token:
        request.add_header("Authorization", "Bearer " + open(os.path.join(data, "owner.token")).read().strip())
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return reply.read()


def status(data):
    return json.loads(get(data, "/v1/node"))


def oms(*args):
    return subprocess.run([OMS, *args], check=True, capture_output=True, text=True).stdout


def watch(targets, seen, deadline, interval):
    """Polls `seen(data)` for each target from its own thread until true or the deadline;
    returns {name: seconds after start}."""
    start = time.monotonic()
    found = {}
    lock = threading.Lock()

    def poll(name, data):
        while time.monotonic() < start + deadline:
            try:
                if seen(data):
                    with lock:
                        found[name] = time.monotonic() - start
                    return
            except Exception:
                pass
            time.sleep(interval)

    threads = [threading.Thread(target=poll, args=(name, data)) for name, data, _ in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found, start


def summary(times):
    values = sorted(times)
    if not values:
        return "none"
    return f"first {values[0]:.2f} s, median {values[len(values) // 2]:.2f} s, last {values[-1]:.2f} s"


def discovery():
    running = nodes()
    name, data, _ = running[0]
    tag = "check" + "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
    manifest = os.path.join(RUN, f"{tag}.yaml")
    with open(manifest, "w") as out:
        out.write(f"""manifest: 1
name: {tag}
purpose: A community the gossip check founds to time its discovery.
tags: [{tag}, gossip]
discovery: public
governance:
  roles: [admin, member]
  decisions: {{manifest: {{by: admin}}, roles: {{by: admin}}, apps: {{by: admin}}, admission: {{by: admin}}, suspension: {{by: admin}}}}
joining: {{mode: open}}
departure: {{export: true, retain: 0d}}
""")
    try:
        oms("tcf", "create", "gossip-check", "--data-dir", data)
        oms("tcc", "create", "checker", "--tcf", "gossip-check", "--data-dir", data)
    except subprocess.CalledProcessError:
        pass  # made by an earlier run
    def entry(d):
        found = json.loads(get(d, f"/v1/manifests?q={tag}", token=False))["manifests"]
        return found[0] if found else None

    founded = time.time()
    oms("community", "create", manifest, "--tcc", "checker", "--data-dir", data)
    returned = time.time() - founded
    found, _ = watch(running, lambda d: entry(d) is not None, 10.0, 0.25)
    missing = [n for n, _, _ in running if n not in found]
    stored = {n: entry(d)["receivedAtMs"] / 1000 for n, d, _ in running if n in found}
    published = stored.get(name, founded)
    spread = [t - published for n, t in stored.items() if n != name]
    print(f"discovery: '{tag}' founded on {name} (the command took {returned:.2f} s, the announcement was stored "
          f"{published - founded:.2f} s after it started); {len(found)} of {len(running)} nodes hold it; "
          f"stored after publication: {summary(spread)}")
    ok = not missing and max(spread, default=0) <= 2.0
    print(f"discovery: {'PASS' if ok else 'FAIL'}: searchable everywhere within 2 s of publication" + (f"; missing on {missing}" if missing else ""))
    return ok


def kill():
    running = nodes()
    victim_name, victim_data, victim_pid = running[-1]
    victim = status(victim_data)["nodeID"]
    others = running[:-1]
    promised = status(others[0][1])["membership"]["promisedDetectionMs"] / 1000
    os.kill(victim_pid, signal.SIGKILL)

    def dead(data):
        members = status(data)["membership"]["members"]
        return any(m["node"] == victim and m["status"] == "dead" for m in members)

    found, _ = watch(others, dead, promised + 15, 0.1)
    missing = [n for n, _, _ in others if n not in found]
    print(f"kill: {victim_name} ({victim[:12]}) SIGKILLed; declared dead by {len(found)} of {len(others)} ({summary(found.values())})")
    ok = not missing and max(found.values(), default=0) <= promised
    print(f"kill: {'PASS' if ok else 'FAIL'}: dead everywhere within the promised {promised:.1f} s" + (f"; not on {missing}" if missing else ""))
    return ok


DEAD = re.compile(rb'^oms_membership_changes_total\{status="dead"\} (\d+)', re.M)
SUSPECT = re.compile(rb'^oms_membership_changes_total\{status="suspect"\} (\d+)', re.M)


def counters(data):
    text = get(data, "/v1/node/metrics")
    dead = DEAD.search(text)
    suspect = SUSPECT.search(text)
    return int(dead.group(1)) if dead else 0, int(suspect.group(1)) if suspect else 0


def loss(seconds):
    running = nodes()
    before = {name: counters(data) for name, data, _ in running}
    dropped_before = sum(status(data)["membership"]["dropped"] for _, data, _ in running)
    print(f"loss: watching {len(running)} nodes for {seconds} s")
    time.sleep(seconds)
    after = {name: counters(data) for name, data, _ in running}
    statuses = {name: status(data)["membership"] for name, data, _ in running}
    dropped = sum(s["dropped"] for s in statuses.values()) - dropped_before
    deaths = sum(after[n][0] - before[n][0] for n in before)
    suspicions = sum(after[n][1] - before[n][1] for n in before)
    unhealthy = max(s["localHealth"] for s in statuses.values())
    still = sum(1 for s in statuses.values() for m in s["members"] if m["status"] != "alive")
    print(f"loss: {dropped} messages dropped by the fault layer; {suspicions} suspicions (all refuted: {still == 0}), "
          f"{deaths} live nodes declared dead; highest local health {unhealthy}")
    ok = deaths == 0 and still == 0
    print(f"loss: {'PASS' if ok else 'FAIL'}: no live node declared dead over {seconds} s")
    return ok


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "discovery":
        sys.exit(0 if discovery() else 1)
    if command == "kill":
        sys.exit(0 if kill() else 1)
    if command == "loss":
        sys.exit(0 if loss(int(sys.argv[2]) if len(sys.argv) > 2 else 300) else 1)
    print(__doc__, file=sys.stderr)
    sys.exit(2)
