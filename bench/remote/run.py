#!/usr/bin/env python3
"""Remote extract benchmark (issue 3): chunkbench extract from `chunkbench serve` against casync
extract from the same server, chunkbench's own extract from the local store, and a bare transfer
of the same chunk files (h2load), on loopback with no shaping, for 64 KiB and 2 MiB average chunk
stores; then the same against serve --response-delay MS. Every figure is the median of --reps runs
made in this one invocation, and every ratio is formed from figures of this invocation.

Usage: bench/remote/run.py [--bin build/cli/chunkbench] [--work /dev/shm/cb-bench-remote]
                           [--kind tar|synthetic] [--size 256M] [--reps 3] [--delay 5] [--out results.json]
Needs: casync, h2load, unshare (root: casync-https has no CA option and libcurl reads none from the
environment, so the server's CA is bind-mounted over the system bundle in a private mount
namespace for casync only; the machine's trust store is not touched).
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def sh(argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def timed(argv, env=None):
    t0 = time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return dt, p.stdout


class Server:
    def __init__(self, binary, root, work, name, extra):
        self.port_file = os.path.join(work, name + ".port")
        self.ca = os.path.join(work, name + "-ca.pem")
        for f in (self.port_file,):
            if os.path.exists(f):
                os.unlink(f)
        self.proc = subprocess.Popen([binary, "serve", "--root", root, "--listen", "127.0.0.1:0", "--port-file",
                                      self.port_file, "--ca-out", self.ca, "-q"] + extra)
        for _ in range(500):
            if os.path.exists(self.port_file) and open(self.port_file).read().endswith("\n"):
                break
            time.sleep(0.01)
        self.port = int(open(self.port_file).read())

    def url(self, path):
        return f"https://127.0.0.1:{self.port}/{path}"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def median_run(reps, fn):
    vals = [fn() for _ in range(reps)]
    return statistics.median(vals), vals


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "../../build/cli/chunkbench"))
    ap.add_argument("--work", default="/dev/shm/chunkbench-bench-remote")
    ap.add_argument("--kind", default="tar")
    ap.add_argument("--size", default="256M")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--delay", type=int, default=5)
    ap.add_argument("--inflight", type=int, default=0, help="chunkbench -n (default: its own default window)")
    ap.add_argument("--bare-streams", type=int, default=64, help="h2load -m for the bare transfer")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    b = os.path.abspath(a.bin)
    w = a.work
    shutil.rmtree(w, ignore_errors=True)
    os.makedirs(w)
    casync_tmp = os.path.join(w, "casync-tmp")
    os.makedirs(casync_tmp)
    root = os.path.join(w, "root")
    os.makedirs(root)

    t, _ = timed([b, "testimage", "--kind", a.kind, "--size", a.size, "--out", w])
    image = os.path.join(w, "v2.img")
    image_size = os.path.getsize(image)
    configs = [("64K", "16:64:256"), ("2M", "512K:2M:8M")]
    stores = {}
    for name, sizes in configs:
        store = os.path.join(root, "store-" + name)
        idx = os.path.join(w, f"v2-{name}.caibx")
        _, out = timed([b, "make", "-s", store, "-m", sizes, "--json", idx, image])
        j = json.loads(out)
        files = []
        for dirpath, _, names in os.walk(store):
            for n in names:
                if n.endswith(".cacnk"):
                    files.append(os.path.relpath(os.path.join(dirpath, n), root))
        stored = sum(os.path.getsize(os.path.join(root, f)) for f in files)
        stores[name] = {"store": store, "index": idx, "chunks": j["chunks"], "unique": j["unique"],
                        "files": sorted(files), "stored_bytes": stored}

    out_img = os.path.join(w, "out.img")

    def rm_out():
        if os.path.exists(out_img):
            os.unlink(out_img)

    def cb_remote(srv, name, extra=()):
        rm_out()
        n = ["-n", str(a.inflight)] if a.inflight else []
        dt, out = timed([b, "extract", "-s", srv.url(f"store-{name}/"), "--ca", srv.ca, *n,
                         "--json", *extra, stores[name]["index"], out_img])
        cb_remote.last = json.loads(out)
        return dt

    def cb_local(name):
        rm_out()
        dt, _ = timed([b, "extract", "-s", stores[name]["store"], stores[name]["index"], out_img])
        return dt

    def casync(srv, name):
        rm_out()
        cmd = (f"mount --bind {srv.ca} {BUNDLE} && TMPDIR={casync_tmp} exec casync extract "
               f"--store={srv.url('store-' + name + '/')} {stores[name]['index']} {out_img}")
        dt, _ = timed(["unshare", "-m", "sh", "-c", cmd])
        return dt

    def check_output():
        if sh(["cmp", out_img, image]).returncode != 0:
            raise RuntimeError("output differs from the image")

    def bare(srv, name):
        urls = os.path.join(w, f"urls-{name}.txt")
        with open(urls, "w") as f:
            for rel in stores[name]["files"]:
                f.write(srv.url(rel) + "\n")
        n = len(stores[name]["files"])
        t0 = time.monotonic()
        p = sh(["h2load", "-n", str(n), "-c", "1", "-m", str(a.bare_streams), "-i", urls])
        dt = time.monotonic() - t0
        m = re.search(r"finished in ([\d.]+)(ms|s)", p.stdout)
        inner = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
        ok = re.search(r"requests: .* (\d+) succeeded", p.stdout)
        if not ok or int(ok.group(1)) != n:
            raise RuntimeError("h2load: not every request succeeded:\n" + p.stdout)
        bare.inner = inner
        return dt

    results = {"image": {"kind": a.kind, "size": image_size}, "reps": a.reps, "inflight": a.inflight or "default",
               "bare_streams": a.bare_streams,
               "host": os.uname().nodename, "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
               "link": "loopback 127.0.0.1, no shaping, MTU " + open("/sys/class/net/lo/mtu").read().strip(),
               "congestion_control": open("/proc/sys/net/ipv4/tcp_congestion_control").read().strip(),
               "stores": {}}
    for delay in (0, a.delay):
        srv = Server(b, root, w, f"serve{delay}", ["--response-delay", str(delay)] if delay else [])
        try:
            for name, _ in configs:
                st = stores[name]
                r = {"chunks": st["chunks"], "stored_bytes": st["stored_bytes"]}
                r["chunkbench_remote_s"], r["chunkbench_remote_all"] = median_run(a.reps, lambda: cb_remote(srv, name))
                check_output()
                net = cb_remote.last["network"]
                r["protocol"], r["connections"] = net["protocol"], net["connections_opened"]
                r["requests"] = net["requests"]
                r["casync_s"], r["casync_all"] = median_run(a.reps, lambda: casync(srv, name))
                check_output()
                r["speedup_vs_casync"] = r["casync_s"] / r["chunkbench_remote_s"]
                if delay == 0:
                    r["chunkbench_h1_s"], _ = median_run(a.reps, lambda: cb_remote(srv, name, ("--http", "1.1")))
                    check_output()
                    r["chunkbench_local_s"], r["chunkbench_local_all"] = median_run(a.reps, lambda: cb_local(name))
                    check_output()
                    r["remote_over_local"] = r["chunkbench_remote_s"] / r["chunkbench_local_s"]
                    r["bare_h2load_s"], r["bare_h2load_all"] = median_run(a.reps, lambda: bare(srv, name))
                    r["bare_h2load_inner_s"] = bare.inner
                    r["bare_rate_Bps"] = st["stored_bytes"] / r["bare_h2load_s"]
                    r["chunkbench_rate_Bps"] = st["stored_bytes"] / r["chunkbench_remote_s"]
                    r["rate_vs_bare"] = r["chunkbench_rate_Bps"] / r["bare_rate_Bps"]
                results["stores"][f"{name}-delay{delay}"] = r
                print(json.dumps({f"{name}-delay{delay}": {k: v for k, v in r.items() if not k.endswith("_all")}}),
                      flush=True)
        finally:
            srv.stop()
    results["loadavg_end"] = os.getloadavg()
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=2)
    shutil.rmtree(w, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
