#!/usr/bin/env python3
"""tokex's benchmark: one table of cases, each against a baseline measured in the same run.

    python3 benches/bench.py [--runs 200] [--lifetime 8] [--out BENCHMARKS.md] [--smoke] [--static]

Builds the release binaries (`cargo build --release`, what `cargo install --path .` installs),
starts a loopback OAuth2 token endpoint, and measures, interleaving commands so machine noise
hits each alike:
  * cache hits through every hot entry point (`tokex token`, `git-credential-tokex get`,
    `docker-credential-tokex get`, the kubectl exec plugin) against `git credential-store get`
    on a stored credential, with each one's peak RSS (GNU time, the worst of 20 runs); with
    --static also the static x86_64 build's `tokex token NAME` (`cargo build --release --target
    x86_64-unknown-linux-musl`, README "Static Linux builds"), on the same config and cache;
  * a cold exchange (`tokex token NAME --refresh`) against curl making the same POST;
  * 64 concurrent cold callers: the upstream must see exactly 1 request;
  * refreshing ahead: a loop of callers across three token lifetimes; no caller may wait on the
    network (print a token minted during its own call), and the upstream sees one exchange per
    token.
Only loopback is contacted. --smoke runs few repetitions and checks only what must always hold
(1 upstream request, one exchange per token, no failure): timings are printed, never judged.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Fake(BaseHTTPRequestHandler):
    """Counts requests per path; `/ahead` tokens live `lifetime` seconds, others an hour."""
    counts = {}
    minted = {}
    lifetime = 8
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Fake.lock:
            n = Fake.counts[self.path] = Fake.counts.get(self.path, 0) + 1
        life = Fake.lifetime if self.path == "/ahead" else 3600
        token = f"tok{self.path.replace('/', '-')}-{n}"
        with Fake.lock:
            Fake.minted[token] = time.perf_counter()
        body = json.dumps({"access_token": token, "token_type": "Bearer",
                           "expires_in": life}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run(cmd, env, stdin=b""):
    """Wall seconds of one run, which must succeed."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, input=stdin, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return elapsed


def peak_rss_kib(cmd, env, stdin, runs=20):
    """Worst max RSS over `runs`, measured by GNU time on its own child."""
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
            times[name].append(run(cmd, env, stdin))
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--lifetime", type=int, default=8, help="seconds a refresh-ahead token lives")
    ap.add_argument("--out")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--static", action="store_true",
                    help="also measure the static (musl) x86_64 build's cache hit")
    args = ap.parse_args()
    runs = 5 if args.smoke else args.runs
    Fake.lifetime = args.lifetime

    subprocess.run(["cargo", "build", "--release", "--quiet", "--locked"], cwd=ROOT, check=True)
    release = os.path.join(ROOT, "target", "release")
    tokex = os.path.join(release, "tokex")
    musl = "x86_64-unknown-linux-musl"
    if args.static:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--locked", "--target", musl],
                       cwd=ROOT, check=True)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    tmp = tempfile.mkdtemp(prefix="tokex-bench-")
    config, cache, bin_dir = (os.path.join(tmp, d) for d in ("config.toml", "cache", "bin"))
    with open(config, "w") as f:
        for name, extra in [("bench", 'match = ["https://git.bench.test", "registry.bench.test"]'),
                            ("ahead", "")]:
            f.write(f'[profiles.{name}]\nprovider = "oauth2"\ntoken_url = "{base}/{name}"\n'
                    f'client_id = "ci"\nsecret_env = "SECRET"\n{extra}\n')
    env = {"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "HOME": tmp, "TOKEX_CONFIG": config,
           "TOKEX_CACHE_DIR": cache, "SECRET": "bench-client-secret"}
    subprocess.run([tokex, "install-helpers", "--dir", bin_dir], env=env, check=True,
                   stderr=subprocess.DEVNULL)
    kube_env = dict(env, KUBERNETES_EXEC_INFO='{"kind":"ExecCredential","apiVersion":'
                    '"client.authentication.k8s.io/v1","spec":{"interactive":false}}')

    store = os.path.join(tmp, "git-credentials")
    with open(store, "w") as f:
        f.write("https://oauth2:stored-token@git.bench.test\n")
    os.chmod(store, 0o600)
    git_get = b"protocol=https\nhost=git.bench.test\n\n"

    run([tokex, "token", "bench"], env)
    # An agent over the same profiles and cache; its clients have no config of their own.
    sock = os.path.join(tmp, "agent.sock")
    agent = subprocess.Popen([tokex, "agent", "--socket", sock, "--log", os.path.join(tmp, "agent.log")],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert agent.stdout.readline().decode().startswith("TOKEX_AGENT="), "the agent did not start"
    agent_env = dict(env, TOKEX_AGENT=sock, TOKEX_CONFIG=os.path.join(tmp, "nowhere.toml"))
    before = dict(Fake.counts)
    git = ["git", "credential-store", f"--file={store}", "get"]
    hit_cases = [
        ("`tokex token NAME`", [tokex, "token", "bench"], env, b""),
        ("`git-credential-tokex get`", [os.path.join(bin_dir, "git-credential-tokex"), "get"],
         env, git_get),
        ("`docker-credential-tokex get`",
         [os.path.join(bin_dir, "docker-credential-tokex"), "get"], env, b"registry.bench.test"),
        ("`tokex kubectl NAME` (exec plugin)", [tokex, "kubectl", "bench"], kube_env, b""),
        ("`tokex token NAME` through `tokex agent`", [tokex, "token", "bench"], agent_env, b""),
        ("`git credential-store get` (baseline)", git, env, git_get),
    ]
    if args.static:
        static = os.path.join(ROOT, "target", musl, "release", "tokex")
        hit_cases.insert(1, ("`tokex token NAME`, static build", [static, "token", "bench"], env, b""))
    hits = interleaved(hit_cases, runs)
    rss = {name: peak_rss_kib(cmd, e, stdin, 5 if args.smoke else 20)
           for name, cmd, e, stdin in hit_cases}
    assert Fake.counts == before, "a cache hit reached the token endpoint"
    baseline = "`git credential-store get` (baseline)"

    cold = interleaved([
        ("`tokex token NAME --refresh` (exchange)", [tokex, "token", "bench", "--refresh"], env, b""),
        ("curl making the same POST (baseline)",
         ["curl", "-sS", "-o", "/dev/null", "-u", "ci:bench-client-secret",
          "-d", "grant_type=client_credentials", f"{base}/bench"], env, b""),
    ], max(runs // 3, 5))

    fan = 64
    subprocess.run([tokex, "cache", "clear", "bench"], env=env, check=True)
    before = Fake.counts.get("/bench", 0)
    procs = [subprocess.Popen([tokex, "token", "bench"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(fan)]
    outs = [p.communicate() for p in procs]
    failed = [p.returncode for p in procs if p.returncode != 0]
    fan_tokens = {o[0] for o in outs}
    upstream = Fake.counts.get("/bench", 0) - before

    # Refreshing ahead, across three lifetimes: callers ask for 1 s of validity (so a short
    # token is handed out until 1 s is left) and the default refresh_ahead (a quarter of the
    # lifetime) starts the background refresh before that.
    # Each loop step also times a plain hit of a long-lived token the same way, for comparison.
    # A caller waited on the network if the token it printed was minted during its own call.
    run([tokex, "token", "ahead"], env)
    loop, control, seen, waits = [], [], set(), []
    t_end = time.perf_counter() + 3 * args.lifetime
    while time.perf_counter() < t_end:
        for name, times in (("bench", control), ("ahead", loop)):
            t0 = time.perf_counter()
            p = subprocess.run([tokex, "token", name, "--min-valid", "1s"], env=env,
                               capture_output=True)
            times.append(time.perf_counter() - t0)
            if p.returncode != 0:
                failed.append(p.returncode)
            token = p.stdout.decode().strip()
            if name == "ahead":
                seen.add(token)
                if Fake.minted.get(token, 0) >= t0:
                    waits.append(times[-1])
        time.sleep(0.02)
    time.sleep(0.5)
    exchanges = Fake.counts.get("/ahead", 0)
    pct = lambda v, q: sorted(v)[min(len(v) - 1, int(len(v) * q))]

    ms = lambda s: f"{s * 1000:.2f} ms"
    mib = lambda kib: f"{kib / 1024:.1f} MiB"
    git_median = statistics.median(hits[baseline])
    rows = []
    for name, *_ in hit_cases:
        m = statistics.median(hits[name])
        rows.append(f"| {name}, cache hit | {ms(m)} | **{m / git_median:.2f}×** git credential-store"
                    f" | {mib(rss[name])} |" if name != baseline else
                    f"| {name} | {ms(m)} | 1.00× | {mib(rss[name])} |")
    (ex_name, ex), (curl_name, curl) = ((k, statistics.median(v)) for k, v in cold.items())
    rows.append(f"| {ex_name} | {ms(ex)} | **{ex / curl:.2f}×** curl | |")
    rows.append(f"| {curl_name} | {ms(curl)} | 1.00× | |")
    report = f"""## Benchmark

`python3 benches/bench.py --runs {runs}{' --smoke' if args.smoke else ''}{' --static' if args.static else ''}` on {os.cpu_count()} CPUs ({platform()}), {time.strftime('%Y-%m-%d')}, the release build.
Medians of interleaved runs, including process start; ratios against baselines from the same run;
peak RSS is GNU time's, the worst of several runs.

| case | median | ratio to its baseline | peak RSS |
|---|---|---|---|
{chr(10).join(rows)}

{fan} concurrent cold callers: **{upstream} upstream request(s)** (must be 1), {len(fan_tokens)} distinct token(s), {len(failed)} failure(s).

Refreshing ahead, {len(loop)} callers over three {args.lifetime} s lifetimes: **{len(waits)} waited on the network** (printed a token minted during their own call); median {ms(statistics.median(loop))}, p99 {ms(pct(loop, 0.99))}, max {ms(max(loop))}, against plain hits of a long-lived token in the same loop: median {ms(statistics.median(control))}, p99 {ms(pct(control, 0.99))}, max {ms(max(control))}. The upstream saw **{exchanges} exchanges** for {len(seen)} distinct tokens served (one per token: the last one may not have been served yet).
"""
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write("# Benchmarks\n\n" + report)
    agent.terminate()
    agent.wait(timeout=10)
    server.shutdown()
    ok = upstream == 1 and not failed and len(fan_tokens) == 1 and exchanges in (len(seen), len(seen) + 1)
    if not args.smoke:
        ok = ok and not waits
    sys.exit(0 if ok else 1)


def platform():
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        model = "unknown CPU"
    return f"{model}, Linux {os.uname().release}"


if __name__ == "__main__":
    main()
