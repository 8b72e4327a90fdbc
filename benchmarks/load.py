"""Load test: many simulated users on the real app over the browser's HTTP+SSE routes, on loopback.

Launches `python app.py` in a subprocess on a free port (its own queue and launch options, measured as
a separate process), then runs, all at once:
  - U render users, each doing R back-to-back `generate` calls (random seeds and models: every image is
    new, so Gradio's cache really is written),
  - I interpolation users, each doing a few 16-frame `interpolate_gif` calls,
  - T training users, each doing one short `train_sine` run (more than the 2-run cap queue up),
for P phases (2 phases x 50 x 20 = 2,000 renders), then a deliberate burst of B simultaneous requests
to show that a full queue answers HTTP 503 (the correct answer) instead of growing without bound.

With --hostile every phase runs twice, clean and with a hostile client beside the good users the whole time
(poisoned `explore_render` entries over /queue/join as the page sends its events, and 12000x12000 px PNG
bombs to the inversion upload), in ABBA order; the good users' p50/p99 and errors are then compared.

Prints throughput, p50/p99 latency per kind, errors, queue rejections, server RSS and cache size after
each phase. Everything is bounded: request timeouts, a wall-clock cap, fixed counts.

    python benchmarks/load.py                       # 50 users x 20 renders, 2 phases, burst 200
    python benchmarks/load.py --users 10 --renders 5 --phases 1 --burst 0   # a quick smoke run
    python benchmarks/load.py --hostile --burst 0   # the same mixed load, clean and under attack
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
REQUEST_TIMEOUT = 120.0  # seconds for one call, start to last event

N_AMOUNTS = 16  # explore_render's direction sliders after the raw ones: 8 PCA, then 8 SeFa (ui.explore_views)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    starts: dict[str, list[float]] = field(default_factory=dict)  # perf_counter() when each call was sent
    errors: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)  # HTTP 503: queue full
    messages: list[str] = field(default_factory=list)

    def ok(self, kind: str, seconds: float, started: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.starts.setdefault(kind, []).append(started)

    def error(self, kind: str, message: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.messages) < 10:
            self.messages.append(f"{kind}: {message[:200]}")

    def reject(self, kind: str) -> None:
        self.rejected[kind] = self.rejected.get(kind, 0) + 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def accepted(post: httpx.Response, stats: Stats, kind: str) -> str | None:
    """The event id of a queued call; None (counted) when the queue was full (503) or the call was refused."""
    if post.status_code == 503:
        stats.reject(kind)
        return None
    if post.status_code != 200:
        stats.error(kind, f"HTTP {post.status_code}: {post.text}")
        return None
    return post.json()["event_id"]


async def call(http: httpx.AsyncClient, api: str, data: list, stats: Stats, kind: str,
               session: str | None = None) -> bool:
    """One call the way the browser's API route does it: POST -> event_id, then read the SSE stream
    to its `complete` (ok) or `error` event. Latency is POST to last event."""
    start = time.perf_counter()
    stage = "POST"
    try:
        body: dict = {"data": data} if session is None else {"data": data, "session_hash": session}
        event_id = accepted(await http.post(f"/gradio_api/call/{api}", json=body), stats, kind)
        if event_id is None:
            return False
        event, stage = None, "SSE"
        async with http.stream("GET", f"/gradio_api/call/{api}/{event_id}") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    if event == "error":
                        # A full queue can also surface here, as an error event naming the queue.
                        if "queue" in line.lower() and "full" in line.lower():
                            stats.reject(kind)
                        else:
                            stats.error(kind, line)
                        return False
                    stats.ok(kind, time.perf_counter() - start, start)
                    return True
        stats.error(kind, f"stream ended without a result (last event {event})")
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        stats.error(kind, f"{stage} {type(exc).__name__}: {exc}")
    return False


async def browser_call(http: httpx.AsyncClient, fn_index: int, data: list, stats: Stats, kind: str,
                       session: str) -> list | None:
    """One event the way the page sends it: POST /queue/join, then read the session's SSE stream
    (/queue/data) until this event's `process_completed`. Latency is POST to that message."""
    start = time.perf_counter()
    try:
        # Serialised by Python's json, which writes Infinity and NaN as the hostile client sends them (httpx's json=
        # refuses them); a browser's values give the same body either way.
        body = json.dumps({"data": data, "event_data": None, "fn_index": fn_index, "trigger_id": None,
                           "session_hash": session})
        post = await http.post("/gradio_api/queue/join", content=body, headers={"content-type": "application/json"})
        event_id = accepted(post, stats, kind)
        if event_id is None:
            return None
        async with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    output = message.get("output") or {}
                    readout = next((v for v in output.get("data", []) if isinstance(v, str)), "")
                    if not message.get("success") or readout.startswith("⚠️"):  # a toast, or a readout warning
                        stats.error(kind, str(output)[:200])
                        return None
                    stats.ok(kind, time.perf_counter() - start, start)
                    return output["data"]
        stats.error(kind, "stream ended without the event's result")
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        stats.error(kind, f"{type(exc).__name__}: {exc}")
    return None


def _value(update: object) -> object:
    return update.get("value") if isinstance(update, dict) else update


async def open_page(http: httpx.AsyncClient, events: dict[str, int], model: str, stats: Stats,
                    session: str) -> tuple | None:
    """What a visitor does first: the page load (`restore_link`), then a model pick (`explore_model`), which
    sets the session's seed, class and slider dimensions. Returns (model, seed, label, dims) for the sliders."""
    if await browser_call(http, events["restore_link"], [], stats, "open", session) is None:
        return None
    out = await browser_call(http, events["explore_model"], [model, 0, 1.0, "1"], stats, "open", session)
    if out is None:
        return None
    return model, _value(out[1]), _value(out[2]), list(_value(out[5]) or [])


async def slider_user(http: httpx.AsyncClient, view: tuple, renders: int, stats: Stats, rng: random.Random,
                      think: float, session: str, fn_index: int, n_sliders: int):
    """A person in the Explore tab dragging the raw-dimension sliders of the view `open_page` set up
    (`explore_render`, the event behind every slider: model, seed, class, truncation, samples, dims, the raw
    values, the direction amounts)."""
    model, seed, label, dims = view
    for _ in range(renders):
        if think:
            await asyncio.sleep(rng.uniform(0, 2 * think))
        raw = [round(rng.uniform(-2, 2), 2) for _ in range(n_sliders)]
        await browser_call(http, fn_index, [model, seed, label, 1.0, "1", dims, *raw, *[0.0] * N_AMOUNTS], stats,
                           "render", session)


@dataclass
class HostileStats(Stats):
    """The hostile client's tally: every call of it should be refused (an `error` here), each with a message."""
    faults: int = 0  # refusals without a message, internal errors, broken streams
    fault_messages: list[str] = field(default_factory=list)

    def error(self, kind: str, message: str) -> None:
        super().error(kind, message)
        if "Internal error" in message or not any(sign in message for sign in ("⚠️", "HTTP 4", "'error': '")):
            self.faults += 1
            if len(self.fault_messages) < 5:
                self.fault_messages.append(f"{kind}: {message[:200]}")


def poisoned_entries(view: tuple, n_sliders: int) -> list[list]:
    """`explore_render` entries that no browser sends (issue 12's faults and their kin), built from a real view."""
    model, seed, label, dims = view
    good = [model, seed, label, 1.0, "1", dims, *[0.0] * (n_sliders + N_AMOUNTS)]
    raw, amount = 6, 6 + n_sliders

    def put(index: int, value: object) -> list:
        entry = list(good)
        entry[index] = value
        return entry

    return [put(1, int("9" * 401)), put(1, -10**30), put(raw, 1e308), put(raw, float("inf")),
            put(raw + 1, float("nan")), put(amount, -1e308), put(3, float("nan")), put(4, "9" * 50),
            put(5, [float("inf")]), put(5, [10**400]), put(5, "0,1"),  # dims
            put(0, "no-such-model"), put(0, "a" * 3000), put(0, "../../etc/passwd"),  # unknown model ids
            put(0, None), put(1, None), put(3, None),  # missing fields (null)
            good[:-1], [*good, 0.0], [],  # wrong lengths
            put(0, {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}})]  # a file that is no upload


def bomb_png(side: int = 12000) -> bytes:
    """A decompression bomb: side x side grey pixels (144 Mpx) in ~165 KB of PNG."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (side, side), 255).save(out, format="PNG", optimize=True)
    return out.getvalue()


async def hostile_client(http: httpx.AsyncClient, events: dict[str, int], entries: list[list], bomb: bytes,
                         model: str, sessions: tuple[str, str], stats: HostileStats, stop: asyncio.Event) -> None:
    """Beside the good users until `stop`: poisoned slider entries through the page's own route (`/queue/join` by
    fn_index, as the browser sends them) and, at the same time, bomb uploads to the inversion panel (`POST
    /gradio_api/upload`, then its `find_latent_ui` event), each back to back with no pause."""

    async def poison() -> None:
        for entry in itertools.cycle(entries):
            if stop.is_set():
                return
            await browser_call(http, events["explore_render"], entry, stats, "poison", sessions[0])

    async def bombs() -> None:
        while not stop.is_set():
            try:
                post = await http.post("/gradio_api/upload", files={"files": ("bomb.png", bomb, "image/png")})
                post.raise_for_status()
            except httpx.HTTPError as exc:
                stats.error("bomb", f"upload {type(exc).__name__}: {exc}")
                continue
            file = {"path": post.json()[0], "orig_name": "bomb.png", "meta": {"_type": "gradio.FileData"}}
            await browser_call(http, events["find_latent_ui"], [model, None, file, 20], stats, "bomb", sessions[1])

    await asyncio.gather(poison(), bombs())


async def render_user(http: httpx.AsyncClient, models: list[str], renders: int, stats: Stats, rng: random.Random,
                      think: float = 0.0, session: str | None = None):
    # A browser tab keeps one session for all its renders; without one (session None), Gradio builds a new
    # session per call (~40 ms of CPU copying every component's config), which is what a stateless API
    # script costs.
    for _ in range(renders):
        if think:  # a person drags, looks, drags again: uniform pause with mean `think` seconds
            await asyncio.sleep(rng.uniform(0, 2 * think))
        await call(http, "generate", [rng.choice(models), rng.randrange(2**32), "", 1.0, {}, 1], stats, "render",
                   session)


# API users keep one session each, as gradio_client does (a Client sends one session hash): without one, Gradio
# builds a session for every call (~16 ms of the event loop's time on this 285-block page).


async def interp_user(http: httpx.AsyncClient, models: list[str], count: int, stats: Stats, rng: random.Random,
                      session: str):
    for _ in range(count):
        seed = rng.randrange(2**31)
        await call(http, "interpolate_gif", [rng.choice(models), seed, seed + 1, "", "", 16, "slerp"], stats,
                   "interpolate", session)


async def train_user(http: httpx.AsyncClient, steps: int, stats: Stats, rng: random.Random, session: str,
                     kind: str = "sine"):
    if kind == "image":  # the Train tab's API: a small DCGAN on the bundled digits, in a worker like the sine runs
        await call(http, "train_image_gan", ["digits", "dcgan", 32, steps, 32, 2e-4, 2e-4, rng.randrange(1000), "cpu",
                                             16], stats, "train", session)
        return
    await call(http, "train_sine", ["sine", 5, steps, 64, 1e-3, 1e-3, rng.randrange(1000), "cpu"], stats, "train",
               session)


def rss_mb(pid: int, kind: str = "VmRSS:") -> float:
    """Resident memory of the server process (Linux /proc); kind "VmHWM:" for its peak."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(kind):
            return int(line.split()[1]) / 1024
    return float("nan")


def workers_rss_mb(pid: int) -> float:
    """Resident memory of the server's child processes (the training workers)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                total += rss_mb(int(child))
            except FileNotFoundError:  # exited meanwhile
                pass
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, cache: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(cache)}
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


async def wait_up(base: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"app.py exited with {proc.returncode} before serving")
            try:
                if (await http.get("/gradio_api/info")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("app.py did not start serving in time")


SETTLE_S = 2.0  # "after the start": calls sent this long after the phase began, when every client fired at once


def summarise(name: str, stats: Stats, seconds: float, began: float | None = None) -> dict:
    out: dict = {"phase": name, "seconds": round(seconds, 1), "errors": stats.errors, "rejected_503": stats.rejected,
                 "messages": stats.messages[:5]}
    for kind, values in sorted(stats.latencies.items()):
        out[kind] = {"ok": len(values), "per_s": round(len(values) / seconds, 1),
                     "p50_ms": round(1000 * statistics.median(values)),
                     "p90_ms": round(1000 * percentile(values, 0.90)), "p99_ms": round(1000 * percentile(values, 0.99)),
                     "max_ms": round(1000 * max(values)), "raw_ms": [round(1000 * v) for v in values]}
        later = [v for v, t in zip(values, stats.starts[kind], strict=True)
                 if began is not None and t - began >= SETTLE_S]
        if later:  # every client starts in the same millisecond: the first calls measure that stampede
            out[kind]["settled"] = {"ok": len(later), "p50_ms": round(1000 * statistics.median(later)),
                                    "p99_ms": round(1000 * percentile(later, 0.99))}
    return out


def show(summary: dict, rss: tuple[float, float], cache_mb: float) -> None:
    print(f"\n== {summary['phase']}: {summary['seconds']} s")
    for kind in ("open", "render", "interpolate", "train", "burst"):
        if kind in summary:
            s = summary[kind]
            print(f"  {kind:<12} ok {s['ok']:>5}  {s['per_s']:>6}/s  p50 {s['p50_ms']:>6} ms  p99 {s['p99_ms']:>6} ms"
                  f"  max {s['max_ms']:>6} ms")
            if "settled" in s and kind == "render":
                t = s["settled"]
                print(f"  {'':<12} sent after the first {SETTLE_S:.0f} s: ok {t['ok']:>5}  p50 {t['p50_ms']:>6} ms  "
                      f"p99 {t['p99_ms']:>6} ms")
    print(f"  errors {summary['errors'] or 0}   queue-full rejections (HTTP 503) {summary['rejected_503'] or 0}")
    for message in summary.get("messages", []):
        print(f"    error: {message}")
    print(f"  server RSS {rss[0]:.0f} -> {rss[1]:.0f} MB ({rss[1] - rss[0]:+.0f} MB)   Gradio cache {cache_mb:.1f} MB")


def show_hostile(bad: HostileStats, seconds: float) -> dict:
    """What the hostile client sent in a phase, and how each call was answered."""
    out: dict = {"faults": bad.fault_messages}
    accepted = 0
    for kind in ("poison", "bomb"):
        refused, drawn, full = bad.errors.get(kind, 0), len(bad.latencies.get(kind, [])), bad.rejected.get(kind, 0)
        out[kind] = {"sent": refused + drawn + full, "refused": refused, "accepted": drawn, "rejected_503": full}
        accepted += drawn
        print(f"  hostile {kind:<7} sent {refused + drawn + full:>5} ({(refused + drawn + full) / seconds:.0f}/s): "
              f"refused {refused}, accepted {drawn}, HTTP 503 {full}")
    out["n_faults"] = bad.faults + accepted  # every hostile call should be refused, each with a message
    print(f"  hostile calls accepted, answered without a message or with an internal error: {out['n_faults']}")
    for fault in bad.fault_messages:
        print(f"    fault: {fault}")
    return out


def compare_hostile(phases: list[dict]) -> dict:
    """The good users' figures over the clean phases and over the hostile ones, pooled, and p99 hostile / clean."""
    out: dict = {"phase": "good users: clean phases vs phases with the hostile client", "errors": {}}
    print(f"\n== {out['phase']}")
    for kind in ("render", "interpolate", "train"):
        row = {}
        for name, group in (("clean", [p for p in phases if "hostile" not in p]),
                            ("hostile", [p for p in phases if "hostile" in p])):
            values = [v for p in group for v in p.get(kind, {}).get("raw_ms", [])]
            if values:
                row[name] = {"ok": len(values), "p50_ms": round(statistics.median(values)),
                             "p99_ms": round(percentile(values, 0.99)),
                             "errors": sum(p["errors"].get(kind, 0) + p["errors"].get("phase", 0) for p in group)}
        if len(row) == 2:
            row["p99_ratio"] = round(row["hostile"]["p99_ms"] / row["clean"]["p99_ms"], 2)
            print(f"  {kind:<12}" + "   ".join(f"{n} ok {r['ok']} p50 {r['p50_ms']} ms p99 {r['p99_ms']} ms "
                                                f"errors {r['errors']}" for n, r in row.items() if n != "p99_ratio")
                  + f"   p99 hostile/clean {row['p99_ratio']:.2f}")
            out[kind] = row
    faults = sum(p["hostile"]["n_faults"] for p in phases if "hostile" in p)
    out["hostile_faults"] = faults
    print(f"  hostile calls accepted, answered without a message or with an internal error: {faults}")
    return out


@dataclass
class Bench:
    """What every step of a run shares: the options, the server and its client, and the run's one random stream."""
    args: argparse.Namespace
    proc: subprocess.Popen
    cache: Path
    http: httpx.AsyncClient
    models: list[str]
    events: dict[str, int]
    rng: random.Random
    deadline: float  # time.monotonic() at which the phases and the burst are cut short


@dataclass
class Crowd:
    """The good users, the same people in every phase: their sessions and, on the slider path, their pages' views."""
    sessions: list[str | None]
    gif_sessions: list[str]
    train_sessions: list[str]
    views: list[tuple] | None = None


@dataclass
class Attack:
    """What the hostile client sends, and the two sessions it sends it from."""
    entries: list[list]
    bomb: bytes
    sessions: tuple[str, str]


def stop_server(proc: subprocess.Popen) -> None:
    """End app.py politely, then by force if it does not exit in 30 s."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


async def warm_up(http: httpx.AsyncClient, only: str) -> list[str]:
    """Load each model and its PCA directions once, outside the figures; returns the ids the run uses."""
    warm = Stats()
    models = [m["id"] for m in await _models(http)]
    if only:
        models = only.split(",")
    for model in models:
        await call(http, "generate", [model, 0, "", 1.0, {}, 1], warm, "render")
        await call(http, "interpolate_gif", [model, 0, 1, "", "", 4, "slerp"], warm, "interpolate")
    if warm.errors:
        raise SystemExit(f"warm-up failed: {warm.messages}")
    return models


def new_crowd(args: argparse.Namespace, rng: random.Random) -> Crowd:
    """Draw the good users' session ids from the run's seed, so a seed replays the same people."""
    # One session per person for every phase, opened by a first call (as a tab opens its session with its first
    # event). Opening 50 at the same instant queues 50 session builds on Gradio's event loop (~40 ms of CPU each),
    # so those first calls are reported on their own.
    sessions = [None if args.fresh_sessions else f"load{rng.getrandbits(48):012x}" for _ in range(args.users)]
    # The interpolation and training users keep their sessions too (an API client does): theirs open with the
    # rest, so a phase measures work, not arrivals.
    gif_sessions = [f"gif{rng.getrandbits(48):012x}" for _ in range(args.interp_users)]
    train_sessions = [f"train{rng.getrandbits(48):012x}" for _ in range(args.train_users)]
    return Crowd(sessions, gif_sessions, train_sessions)


async def open_sessions(bench: Bench, crowd: Crowd, stats: Stats) -> None:
    """Open every good user's session at once by a first call; on the slider path keep each page's view."""
    args, http, rng = bench.args, bench.http, bench.rng
    opening = [call(http, "models", [], stats, "open", session)
               for session in crowd.gif_sessions + crowd.train_sessions]
    if args.fresh_sessions:
        await asyncio.gather(*opening)
    elif args.path == "slider":
        views, *_ = await asyncio.gather(
            asyncio.gather(*[open_page(http, bench.events, rng.choice(bench.models), stats, session)
                             for session in crowd.sessions]), *opening)
        if not all(views):
            raise SystemExit(f"opening the pages failed: {stats.messages}")
        crowd.views = views
    else:
        await asyncio.gather(*[call(http, "generate", [rng.choice(bench.models), rng.randrange(2**32), "", 1.0, {}, 1],
                                    stats, "open", session)
                               for session in crowd.sessions], *opening)
    if stats.errors:
        raise SystemExit(f"opening the sessions failed: {stats.messages}")


async def open_attack(bench: Bench) -> Attack:
    """Open the hostile client's two sessions, outside the figures, and build the entries and the bomb it sends."""
    rng = bench.rng
    sessions = (f"bad{rng.getrandbits(48):012x}", f"bomb{rng.getrandbits(48):012x}")
    opened = Stats()
    bad_view = await open_page(bench.http, bench.events, bench.models[0], opened, sessions[0])
    await browser_call(bench.http, bench.events["restore_link"], [], opened, "open", sessions[1])
    if bad_view is None or opened.errors:
        raise SystemExit(f"opening the hostile sessions failed: {opened.messages}")
    entries = poisoned_entries(bad_view, 8)
    bomb = bomb_png()
    print(f"hostile client: {len(entries)} poisoned slider entries in turn, and a {len(bomb) / 1024:.0f} "
          "KB PNG of 12000x12000 px to the inversion upload, both back to back")
    return Attack(entries, bomb, sessions)


def report_opening(bench: Bench, crowd: Crowd, stats: Stats, start: float, rss_start: float) -> dict:
    """Summarise and print the session openings, a stampede of first calls measured apart from the phases."""
    args = bench.args
    n_open = len(crowd.gif_sessions) + len(crowd.train_sessions) + (0 if args.fresh_sessions else args.users)
    opened = summarise(f"open: {n_open} users open their sessions at once (page users also pick a model)",
                       stats, time.perf_counter() - start)
    show(opened, (rss_start, rss_mb(bench.proc.pid)), dir_mb(bench.cache / "gradio"))
    return opened


def phase_plan(phases: int, with_hostile: bool) -> list[tuple[int, bool]]:
    """The phases to run as (phase, hostile client beside); with --hostile each twice, in ABBA order."""
    if not with_hostile:
        return [(phase, False) for phase in range(phases)]
    # ABBA so that slow drift (caches filling, the machine's other work) favours neither clean nor hostile.
    return [(phase, hostile) for phase in range(phases)
            for hostile in ((False, True) if phase % 2 == 0 else (True, False))]


def user_tasks(bench: Bench, crowd: Crowd, stats: Stats) -> list[Coroutine[object, object, None]]:
    """One phase's good users, each given its own random stream, drawn in a fixed order from the run's."""
    args, http, rng = bench.args, bench.http, bench.rng
    if args.path == "slider":
        tasks = [slider_user(http, view, args.renders, stats, random.Random(rng.random()), args.think,
                             session, bench.events["explore_render"], 8)
                 for session, view in zip(crowd.sessions, crowd.views, strict=True)]
    else:
        tasks = [render_user(http, bench.models, args.renders, stats, random.Random(rng.random()), args.think,
                             session)
                 for session in crowd.sessions]
    tasks += [interp_user(http, bench.models, args.interps, stats, random.Random(rng.random()), session)
              for session in crowd.gif_sessions]
    tasks += [train_user(http, args.train_steps, stats, random.Random(rng.random()), session, args.train_kind)
              for session in crowd.train_sessions]
    return tasks


async def run_phase(bench: Bench, crowd: Crowd, phase: int, attack: Attack | None) -> dict:
    """One phase of the mixed load, with the hostile client beside when `attack` is given; measured and printed."""
    args, proc = bench.args, bench.proc
    stats = Stats()
    before = rss_mb(proc.pid)
    cpu_before = cpu_seconds(proc.pid)
    Path(f"/proc/{proc.pid}/clear_refs").write_text("5")  # the phase's peak RSS starts from here
    tasks = user_tasks(bench, crowd, stats)
    hostile_stats, stop = HostileStats(), asyncio.Event()
    companion = (asyncio.ensure_future(hostile_client(bench.http, bench.events, attack.entries, attack.bomb,
                                                      bench.models[0], attack.sessions, hostile_stats, stop))
                 if attack is not None else None)
    start = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=max(1.0, bench.deadline - time.monotonic()))
    except asyncio.TimeoutError:
        stats.error("phase", f"wall-clock cap of {args.max_seconds} s reached")
    seconds = time.perf_counter() - start
    if companion is not None:
        stop.set()
        await companion  # each of its loops ends after the call it has in flight
    hostile = attack is not None
    label = " (clean)" if args.hostile and not hostile else " (hostile client beside)" if hostile else ""
    summary = summarise(f"phase {phase + 1}{label}: {args.users} users x {args.renders} renders + "
                        f"{args.interp_users} x {args.interps} interpolations + "
                        f"{args.train_users} {args.train_kind} training runs", stats, seconds, start)
    report_phase(bench, summary, before, cpu_before)
    if hostile:
        summary["hostile"] = show_hostile(hostile_stats, seconds)
    return summary


def report_phase(bench: Bench, summary: dict, before: float, cpu_before: float) -> None:
    """Add the server's memory, cache and CPU over the phase to `summary`, and print the phase's figures."""
    args, pid = bench.args, bench.proc.pid
    summary["peak_rss_mb"] = round(rss_mb(pid, "VmHWM:"))
    summary["rss_mb"] = [round(before), round(rss_mb(pid))]
    summary["cache_mb"] = round(dir_mb(bench.cache / "gradio"), 1)
    summary["server_cpu_s"] = round(cpu_seconds(pid) - cpu_before, 1)
    summary["workers_rss_mb"] = round(workers_rss_mb(pid))
    print(f"\n  server CPU {summary['server_cpu_s']} s for the phase "
          f"({1000 * summary['server_cpu_s'] / max(1, args.users * args.renders):.0f} ms per render, "
          "interpolations and training included)", end="")
    show(summary, (before, rss_mb(pid)), summary["cache_mb"])
    print(f"  training worker processes: {summary['workers_rss_mb']} MB RSS (kept for the next runs)")
    print(f"  server peak RSS in the phase {summary['peak_rss_mb']} MB")


async def run_burst(bench: Bench) -> dict:
    """Overfill the queue on purpose: a full queue must answer 503, and the server must still serve afterwards."""
    args, http, models, pid = bench.args, bench.http, bench.models, bench.proc.pid
    stats = Stats()
    start = time.perf_counter()
    burst = [call(http, "generate", [models[0], bench.rng.randrange(2**32), "", 1.0, {}, 16], stats, "burst")
             for _ in range(args.burst)]
    await asyncio.wait_for(asyncio.gather(*burst), timeout=max(1.0, bench.deadline - time.monotonic()))
    summary = summarise(f"burst: {args.burst} simultaneous 16-image renders (queue max_size 64)",
                        stats, time.perf_counter() - start)
    show(summary, (rss_mb(pid), rss_mb(pid)), dir_mb(bench.cache / "gradio"))
    after = Stats()
    await call(http, "generate", [models[0], 1, "", 1.0, {}, 1], after, "render")
    print(f"  next normal request after the burst: {'ok' if after.latencies else after.messages}")
    return summary


def report_rss(pid: int, results: list[dict], rss_start: float) -> None:
    """Print the server's memory growth over the phases' renders, and over the whole run."""
    rss_end = rss_mb(pid)
    phases = [r for r in results if "rss_mb" in r]
    if phases:  # the renders' growth, apart from opening the sessions (bounded by the session capacity)
        first, last = phases[0]["rss_mb"][0], phases[-1]["rss_mb"][1]
        renders = sum(r.get("render", {}).get("ok", 0) for r in phases)
        print(f"\nserver RSS over the {renders} renders of the phases: {first} -> {last} MB "
              f"({last - first:+} MB)")
    print(f"server RSS from warm-up to the end (sessions opened, burst included): {rss_start:.0f} -> "
          f"{rss_end:.0f} MB ({rss_end - rss_start:+.0f} MB)")


async def run_load(args: argparse.Namespace, proc: subprocess.Popen, cache: Path, base: str,
                   http: httpx.AsyncClient) -> list[dict]:
    """Everything against a serving app.py, in order: warm-up, openings, phases, hostile comparison, burst."""
    models = await warm_up(http, args.models)
    rss_start = rss_mb(proc.pid)
    print(f"app.py pid {proc.pid} on {base}; models {models}; {os.cpu_count()} CPUs visible; "
          f"load average {os.getloadavg()[0]:.1f} (other work on this machine counts against us)")
    print(f"server RSS after warm-up {rss_start:.0f} MB")
    events = await _event_indices(http, ("restore_link", "explore_model", "explore_render", "find_latent_ui"))
    if args.path == "slider" and args.fresh_sessions:
        raise SystemExit("--fresh-sessions applies to --path api only: a page always has a session")
    rng = random.Random(args.seed)
    bench = Bench(args, proc, cache, http, models, events, rng, time.monotonic() + args.max_seconds)
    crowd = new_crowd(args, rng)
    stats = Stats()
    start = time.perf_counter()
    await open_sessions(bench, crowd, stats)
    attack = await open_attack(bench) if args.hostile else None
    results: list[dict] = []
    if stats.latencies:
        results.append(report_opening(bench, crowd, stats, start, rss_start))
    for phase, hostile in phase_plan(args.phases, args.hostile):
        results.append(await run_phase(bench, crowd, phase, attack if hostile else None))
    if args.hostile:
        results.append(compare_hostile([r for r in results if "rss_mb" in r]))
    if args.burst:
        results.append(await run_burst(bench))
    report_rss(proc.pid, results, rss_start)
    return results


async def main(args: argparse.Namespace) -> int:
    """Run the load test on a fresh app.py; exit status 1 on any error or hostile fault, else 0."""
    cache = Path(tempfile.mkdtemp(prefix="gle-load-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port, cache / "gradio", cache / "app.log")
    try:
        await wait_up(base, proc)
        # Idle pooled connections expire before uvicorn's 5 s keep-alive: else a reused socket that the
        # server is just closing shows up as a spurious ReadError.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=200, keepalive_expiry=2.0)
        async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits) as http:
            results = await run_load(args, proc, cache, base, http)
    finally:
        stop_server(proc)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    bad = sum(sum(r["errors"].values()) for r in results)
    return 1 if bad or any(r.get("hostile_faults") for r in results) else 0


async def _models(http: httpx.AsyncClient) -> list[dict]:
    post = await http.post("/gradio_api/call/models", json={"data": []})
    event_id = post.json()["event_id"]
    text = (await http.get(f"/gradio_api/call/models/{event_id}")).text
    data = next(line for line in text.splitlines() if line.startswith("data:"))
    return json.loads(data[5:])[0]


async def _event_indices(http: httpx.AsyncClient, names: tuple[str, ...]) -> dict[str, int]:
    """The events' indices in the page config: the browser joins the queue by index, not by name."""
    config = (await http.get("/config")).json()
    return {d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name") in names}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=50, help="concurrent render users")
    p.add_argument("--renders", type=int, default=20, help="renders per user per phase")
    p.add_argument("--path", choices=["slider", "api"], default="slider",
                   help="slider: the page's slider event (explore_render) over /queue/join + the session's SSE "
                        "stream, as a browser sends it; api: the public `generate` endpoint over /call")
    p.add_argument("--think", type=float, default=0.0, help="mean pause between a user's renders (s); 0 = flat out")
    p.add_argument("--fresh-sessions", action="store_true",
                   help="a new Gradio session per render (a stateless API client) instead of one per user")
    p.add_argument("--interp-users", type=int, default=4)
    p.add_argument("--interps", type=int, default=3, help="interpolations per interpolation user")
    p.add_argument("--train-users", type=int, default=3, help="one short run each; the app admits 2 at once")
    p.add_argument("--train-steps", type=int, default=500)
    p.add_argument("--train-kind", choices=["sine", "image"], default="sine",
                   help="sine-toy runs (the teaching tab) or small image GANs (the Train tab, digits DCGAN)")
    p.add_argument("--phases", type=int, default=2, help="repeat the mixed load (2 x 50 x 20 = 2,000 renders)")
    p.add_argument("--burst", type=int, default=200, help="simultaneous requests to overfill the queue; 0 = skip")
    p.add_argument("--models", default="", help="comma-separated ids (default: every shipped model)")
    p.add_argument("--max-seconds", type=float, default=900, help="wall-clock cap for all phases")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hostile", action="store_true",
                   help="run every phase twice, clean and with a hostile client beside (poisoned slider entries "
                        "and decompression-bomb uploads, back to back), and compare the good users' figures")
    p.add_argument("--json", default="", help="also write the figures to this file")
    return p.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
