# Shared by the testnet scripts: where things are and how to reach each node.
TESTNET_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$TESTNET_DIR/.." && pwd)"
RUN="$TESTNET_DIR/.run"

oms_bin() {
    local bin
    bin="$(cd "$ROOT" && swift build --product oms --show-bin-path)/oms"
    [ -x "$bin" ] || { echo "testnet: $bin is missing; run 'make build' first" >&2; return 1; }
    echo "$bin"
}

node_dirs() {
    ls -d "$RUN"/node-* 2>/dev/null | sort -V
}

# True while $1 runs. A node that has exited but not yet been reaped (a zombie: its parent, the
# script that started it, is gone and the container's init reaps slowly) counts as stopped.
alive() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

node_pid() {
    local dir=$1
    [ -f "$dir/pid" ] || return 1
    local pid; pid=$(cat "$dir/pid")
    alive "$pid" && echo "$pid"
}

# Starts the node in $1, waits until it has written its listen and API addresses. Extra args go
# to `oms node run`. Each node's owner API is on its own ephemeral loopback port.
start_node() {
    local dir=$1; shift
    local oms; oms=$(oms_bin)
    local listen=127.0.0.1:0
    [ -f "$dir/port" ] && listen="127.0.0.1:$(cat "$dir/port")"
    # A node killed hard leaves its old address file behind; never mistake it for the new one.
    rm -f "$dir/data/listen.addr" "$dir/data/api.addr"
    # tss2 logs the TPM's expected refusals at ERROR; OMS's own messages say what they mean.
    # A node with a TPM of its own takes migrations: the testnet is its owner's.
    local accept=""
    [ -f "$dir/tcti" ] && accept=--accept-migrations
    TSS2_LOG=${TSS2_LOG:-all+none} "$oms" node run --data-dir "$dir/data" --listen "$listen" $accept --api 127.0.0.1:0 --ping-interval 1 --idle-timeout 5 ${OMS_NODE_FLAGS:-} "$@" \
        >>"$dir/log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 1 100); do
        if [ -s "$dir/data/listen.addr" ] && [ -s "$dir/data/api.addr" ]; then
            sed -E 's/.*:([0-9]+)$/\1/' <"$dir/data/listen.addr" >"$dir/port"
            return 0
        fi
        alive "$(cat "$dir/pid")" || { echo "testnet: node in $dir exited; see $dir/log" >&2; tail -n 5 "$dir/log" >&2; return 1; }
        sleep 0.1
    done
    echo "testnet: node in $dir did not start listening within 10 s; see $dir/log" >&2
    return 1
}

# Stops the node in $1 with SIGINT (graceful), then SIGKILL after 5 s.
stop_node() {
    local dir=$1 pid
    pid=$(node_pid "$dir") || return 0
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        alive "$pid" || { rm -f "$dir/pid"; return 0; }
        sleep 0.05
    done
    echo "testnet: node $pid did not stop within 5 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/pid"
}

# Starts a software TPM for the node in $1 (state in $1/tpm; its control port is the next one
# up, as tss2's swtpm TCTI expects) and writes its TCTI to $1/tcti. One per node: each node's
# key is sealed by its own TPM, and it attests with it when a TCF migrates to it.
start_swtpm() {
    local dir=$1 port
    mkdir -p "$dir/tpm"
    port=$(python3 -c '
import socket
for _ in range(50):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); port = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", port + 1)); print(port); break
    except OSError:
        pass
    finally:
        a.close(); b.close()
')
    swtpm socket --tpm2 --tpmstate "dir=$dir/tpm" --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
        --ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" --flags not-need-init,startup-clear \
        --pid "file=$dir/tpm/swtpm.pid" --daemon
    echo "swtpm:host=127.0.0.1,port=$port" >"$dir/tcti"
}

# Stops the node's swtpm in $1 (SIGKILL: swtpm ignores SIGTERM while a client is connected).
stop_swtpm() {
    local dir=$1 pid
    [ -f "$dir/tpm/swtpm.pid" ] || return 0
    pid=$(cat "$dir/tpm/swtpm.pid")
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/tpm/swtpm.pid"
}
