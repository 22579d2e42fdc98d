#!/usr/bin/env python3
# CPU split of a bench run: samples /proc every 50 ms until SIGTERM and prints
# the CPU seconds (utime + stime) each class of process used meanwhile:
# worker (a process whose command line names webhooks-worker), pg-backend
# (backends of database "bench"), pg-other (the rest of PostgreSQL), nginx,
# node. A process that exits between two samples loses at most 50 ms.
# Used by bench/peers/worker-ab and bench/peers/variants (CPU=1).
# Arguments: further substrings that mark a worker's command line (a copy of
# the binary under another name).
import os, sys, time, signal
HZ = os.sysconf('SC_CLK_TCK')
WORKER_NAMES = ['webhooks-worker'] + sys.argv[1:]
def classify(pid):
    try:
        cmd = open(f'/proc/{pid}/cmdline','rb').read().replace(b'\0', b' ').decode(errors='replace')
    except Exception: return None
    exe = cmd.split()[0] if cmd.split() else ''
    if any(w in exe for w in WORKER_NAMES): return 'worker'
    if cmd.startswith('postgres: '):
        if 'webhooks-worker' in cmd or ' bench ' in cmd: return 'pg-backend'
        return 'pg-other'
    if cmd.startswith('/usr/lib/postgresql') or cmd.startswith('postgres '): return 'pg-other'
    if 'nginx' in cmd: return 'nginx'
    if cmd.startswith('node '): return 'node'
    return None
def cpu(pid):
    try:
        f = open(f'/proc/{pid}/stat').read().rsplit(')',1)[1].split()
        return (int(f[11]) + int(f[12])) / HZ
    except Exception: return None
first, last, cls = {}, {}, {}
stop = False
def h(*a):
    global stop; stop = True
signal.signal(signal.SIGTERM, h); signal.signal(signal.SIGINT, h)
t0 = time.time(); initial = True
while not stop:
    for d in os.listdir('/proc'):
        if not d.isdigit(): continue
        pid = int(d)
        if pid not in cls:
            c = classify(pid)
            cls[pid] = c
        c = cls[pid]
        if c is None: continue
        v = cpu(pid)
        if v is None: continue
        if pid not in first: first[pid] = v if initial else 0.0
        last[pid] = v
    initial = False
    time.sleep(0.05)
el = time.time() - t0
tot = {}
for pid in last:
    tot[cls[pid]] = tot.get(cls[pid], 0) + last[pid] - first[pid]
print(f"cpu over {el:.2f}s wall: " + "  ".join(f"{k} {v:.2f}s ({100*v/el:.0f}%)" for k, v in sorted(tot.items())))
