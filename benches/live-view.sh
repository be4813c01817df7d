#!/bin/sh
# The live view of `prt watch` as a person runs it: in a tmux pane (160x45) over sockets this
# script opens on loopback (PRT_BENCH_SOCKETS, default 10000: one process holding listeners
# and both ends of connections). Measured in the same run:
#   - CPU time per tick of `prt watch --interval 1s` (user + system from /proc, over
#     PRT_BENCH_SECONDS, default 10) and its peak RSS (VmHWM);
#   - CPU time of one `ss -tanpH` (what `watch -n1 ss -tanp` runs every second), as a child;
#   - key latency: End / Home pressed with tmux, until the screen shows the selection moved
#     (median of 20; includes tmux's own round trips, a few ms).
# Prints the figures and the ratio of a tick to one ss.
#
#   cargo build --release && sh benches/live-view.sh
set -eu
PRT=${PRT:-target/release/prt} exec python3 - <<'PY'
import os, re, resource, socket, statistics, subprocess, sys, time

prt = os.path.abspath(os.environ["PRT"])
sockets = int(os.environ.get("PRT_BENCH_SOCKETS", "10000"))
seconds = float(os.environ.get("PRT_BENCH_SECONDS", "10"))
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

# Sockets: listeners, each with a few accepted connections (both ends held here).
held = []
while len(held) < sockets:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held.append(listener)
    for _ in range(min(8, (sockets - len(held)) // 2)):
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
        held += [client, server]

server = f"prt-bench-{os.getpid()}"
def tmux(*args):
    return subprocess.run(["tmux", "-L", server, "-f", "/dev/null", *args], check=True,
                          capture_output=True, text=True).stdout
def screen():
    return tmux("capture-pane", "-p").splitlines()
def wait(ok, what, limit=30):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        s = screen()
        if ok(s):
            return s
        time.sleep(0.002)
    sys.exit(f"no {what}:\n" + "\n".join(screen()))
def selected(s):
    rows = [l for l in s if re.match(r"^[> ]\S*\s+tcp\s", l)]
    return next((i for i, l in enumerate(rows) if l.startswith(">")), None), len(rows)
def scan_number(s):
    m = re.search(r"scan (\d+)", s[0]) if s else None
    return int(m.group(1)) if m else None
def cpu_of(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

try:
    tmux("new-session", "-d", "-x", "160", "-y", "45",
         f"NO_COLOR=1 exec {prt} watch --interval 1s -t")
    pid = int(tmux("display-message", "-p", "#{pane_pid}").strip())
    first = wait(lambda s: scan_number(s) and scan_number(s) >= 2, "second scan")
    start_scan, start_cpu = scan_number(first), cpu_of(pid)
    time.sleep(seconds)
    s = screen()
    ticks = scan_number(s) - start_scan
    per_tick = (cpu_of(pid) - start_cpu) / ticks
    rss = int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))
    shown = re.search(r"(\d+) sockets", s[0]).group(1)

    latencies = []
    for key in ["End", "Home"] * 10:
        before = selected(screen())
        t = time.monotonic()
        tmux("send-keys", key)
        wait(lambda s: selected(s)[0] is not None and selected(s) != before, f"{key} taken")
        latencies.append(time.monotonic() - t)
    tmux("send-keys", "q")

    runs = 10
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        subprocess.run(["ss", "-tanpH"], stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ss = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / runs
finally:
    subprocess.run(["tmux", "-L", server, "kill-server"], capture_output=True)

print(f"sockets held by this script       {len(held)} (the view counted {shown} TCP)")
print(f"prt watch live view, CPU per tick {per_tick * 1000:.1f} ms over {ticks} ticks")
print(f"prt watch live view, peak RSS     {rss / 1024:.1f} MiB")
print(f"ss -tanpH, CPU per run            {ss * 1000:.1f} ms")
print(f"ratio tick / ss                   {per_tick / ss:.2f}x")
print(f"key to screen (End/Home), median  {statistics.median(latencies) * 1000:.0f} ms "
      f"(max {max(latencies) * 1000:.0f} ms)")
PY
