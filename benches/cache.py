#!/usr/bin/env python3
"""Rerunnable benchmark of tokex's token cache (issue 4). Prints a Markdown report.

    python3 benches/cache.py [--runs 300] [--out BENCHMARKS.md]

Builds tokex in release mode, starts a loopback OAuth2 token endpoint, and measures, interleaving
the commands so machine noise hits each alike:
  1. a cache hit of `tokex token NAME` vs `git credential-store get` on a stored credential, and
     vs `cat` of the cache file; peak RSS of the tokex hit;
  2. a cold exchange (`tokex token NAME --refresh`) vs curl making the same POST;
  3. 64 concurrent cold callers: upstream requests (must be 1) and wall time.
Only loopback is contacted. Medians; ratios are against baselines measured in the same run.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Fake(BaseHTTPRequestHandler):
    count = 0
    lock = threading.Lock()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        with Fake.lock:
            Fake.count += 1
            n = Fake.count
        body = json.dumps({"access_token": f"bench-token-{n}", "token_type": "Bearer",
                           "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run(cmd, env, stdin=b""):
    """Wall time of one run."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    p.stdin.write(stdin)
    p.stdin.close()
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t0
    err = p.stderr.read()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {err.decode(errors='replace')}")
    return elapsed, usage.ru_maxrss


def peak_rss_kib(cmd, env, stdin, runs=20):
    """Max RSS over `runs`, as GNU time reports it: measured on a child forked from time, not
    from this Python process, whose pages a fork would otherwise count."""
    worst = 0
    for _ in range(runs):
        p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=env, input=stdin,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
        worst = max(worst, int(p.stderr.decode().strip().splitlines()[-1]))
    return worst


def interleaved(cases, runs):
    times = {name: [] for name, *_ in cases}
    for _ in range(runs):
        for name, cmd, env, stdin in cases:
            times[name].append(run(cmd, env, stdin)[0])
    return {n: statistics.median(v) for n, v in times.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--out")
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet", "--locked"], cwd=ROOT, check=True)
    tokex = os.path.join(ROOT, "target", "release", "tokex")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/token"

    tmp = tempfile.mkdtemp(prefix="tokex-bench-")
    config = os.path.join(tmp, "config.toml")
    cache = os.path.join(tmp, "cache")
    with open(config, "w") as f:
        f.write(f'[profiles.bench]\nprovider = "oauth2"\ntoken_url = "{url}"\n'
                f'client_id = "ci"\nsecret_env = "SECRET"\n')
    env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp, "TOKEX_CONFIG": config,
           "TOKEX_CACHE_DIR": cache, "SECRET": "bench-client-secret"}

    # git's plaintext store, holding one credential: the simplest helper there is.
    store = os.path.join(tmp, "git-credentials")
    with open(store, "w") as f:
        f.write("https://oauth2:stored-token@git.example.com\n")
    os.chmod(store, 0o600)
    git_get = b"protocol=https\nhost=git.example.com\n\n"

    run([tokex, "token", "bench"], env)
    cache_file = next(os.path.join(cache, n) for n in os.listdir(cache) if n.endswith(".json"))
    before = Fake.count
    hit_cases = [
        ("tokex token (cache hit)", [tokex, "token", "bench"], env, b""),
        ("git credential-store get", ["git", "credential-store", f"--file={store}", "get"], env, git_get),
        ("cat cache file", ["cat", cache_file], env, b""),
    ]
    hits = interleaved(hit_cases, args.runs)
    rss = {name: peak_rss_kib(cmd, env, stdin) for name, cmd, env, stdin in hit_cases}
    assert Fake.count == before, "a cache hit reached the token endpoint"

    cold_runs = max(args.runs // 3, 20)
    cold = interleaved([
        ("tokex token --refresh (exchange)", [tokex, "token", "bench", "--refresh"], env, b""),
        ("curl, same POST", ["curl", "-sS", "-o", "/dev/null", "-u", "ci:bench-client-secret",
                             "-d", "grant_type=client_credentials", url], env, b""),
    ], cold_runs)

    # 64 concurrent cold callers.
    fan = 64
    subprocess.run([tokex, "cache", "clear", "bench"], env=env, check=True)
    before = Fake.count
    t0 = time.perf_counter()
    procs = [subprocess.Popen([tokex, "token", "bench"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(fan)]
    outs = [p.communicate() for p in procs]
    wall = time.perf_counter() - t0
    failed = [p.returncode for p in procs if p.returncode != 0]
    tokens = {o[0] for o in outs}
    upstream = Fake.count - before
    t0 = time.perf_counter()
    procs = [subprocess.Popen([tokex, "token", "bench"], env=env, stdout=subprocess.DEVNULL)
             for _ in range(fan)]
    for p in procs:
        p.wait()
    wall_hits = time.perf_counter() - t0

    ms = lambda s: f"{s * 1000:.2f} ms"
    hit, git, cat = (hits[k] for k in ("tokex token (cache hit)", "git credential-store get",
                                       "cat cache file"))
    ex, curl = cold["tokex token --refresh (exchange)"], cold["curl, same POST"]
    report = f"""## Token cache benchmark

`python3 benches/cache.py --runs {args.runs}` on {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}.
Medians of interleaved runs, including process start; ratios against baselines from the same run.

| case | median | ratio | target |
|---|---|---|---|
| `tokex token NAME`, cache hit | {ms(hit)} | **{hit / git:.2f}×** git credential-store, {hit / cat:.2f}× cat | ≤ 1.0× git credential-store |
| `git credential-store get` (baseline) | {ms(git)} | 1.00× | |
| `cat` of the cache file (floor) | {ms(cat)} | {cat / git:.2f}× | |
| `tokex token NAME --refresh`, exchange with a loopback fake | {ms(ex)} | **{ex / curl:.2f}×** curl | ≤ 1.3× curl |
| `curl` making the same POST (baseline) | {ms(curl)} | 1.00× | |

Peak RSS of a tokex cache hit: **{rss['tokex token (cache hit)'] / 1024:.1f} MiB** (max over 20 runs, GNU time; target ≤ 10 MB);
git credential-store {rss['git credential-store get'] / 1024:.1f} MiB, cat {rss['cat cache file'] / 1024:.1f} MiB.

{fan} concurrent cold callers: **{upstream} upstream request(s)** (must be 1), {len(tokens)} distinct token(s) printed,
{len(failed)} failure(s), {ms(wall)} wall time; {fan} concurrent cache hits: {ms(wall_hits)}.
"""
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write("# Benchmarks\n\n" + report)
    server.shutdown()
    ok = upstream == 1 and not failed and len(tokens) == 1
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
