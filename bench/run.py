"""`make bench`: the portal's performance, as ratios to the /healthz floor of the same run.

Sets up a PostgreSQL database at each scale (``BENCH_SCALES``, default ``10000,$BENCH_DOSSIERS``)
with ``seed_demo`` + ``seed_scale``, serves it with gunicorn in production mode, starts a real
Celery worker, drives load with wrk from a second process on loopback, and stops all it started.
Every page line is measured right after a /healthz line (interleaved, ``BENCH_REPEAT`` rounds) and
reported as the median ratio. Nothing here asserts time: it reports (shared/docs/benchmarks.md).

Environment: BENCH_DOSSIERS (100000), BENCH_SCALES, BENCH_DURATION (15 s), BENCH_WARMUP (3 s),
BENCH_REPEAT (3), BENCH_WORKERS (3 gunicorn workers), BENCH_CONNECTIONS (16), BENCH_THREADS (2),
BENCH_DB (motcua_bench), BENCH_PORT (8765), BENCH_ONLY (comma-separated line names; add
``extras`` to run the throughput extras too),
BENCH_REUSE (1: keep an existing BENCH_DB, only migrate it; default: drop and rebuild),
BENCH_REDIS_URL / BENCH_BROKER_URL (redis://127.0.0.1:6379/12 and /13).
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

ROOT = harness.ROOT
RESULTS = ROOT / "bench" / "results"
LOGS = ROOT / "var" / "bench"
REPORT_LUA = ROOT / "bench" / "wrk" / "report.lua"
FILING_LUA = ROOT / "bench" / "wrk" / "file_dossier.lua"
TRACK_LUA = ROOT / "bench" / "wrk" / "track.lua"


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


DOSSIERS = env_int("BENCH_DOSSIERS", 100_000)
SCALES = [int(s) for s in os.environ.get("BENCH_SCALES", f"10000,{DOSSIERS}").split(",") if s]
DURATION = env_int("BENCH_DURATION", 15)
WARMUP = env_int("BENCH_WARMUP", 3)
REPEAT = env_int("BENCH_REPEAT", 3)
WORKERS = env_int("BENCH_WORKERS", 3)
CONNECTIONS = env_int("BENCH_CONNECTIONS", 16)
THREADS = env_int("BENCH_THREADS", 2)
PORT = env_int("BENCH_PORT", 8765)
DB_NAME = os.environ.get("BENCH_DB", "motcua_bench")
ONLY = {s for s in os.environ.get("BENCH_ONLY", "").split(",") if s}
REUSE = os.environ.get("BENCH_REUSE", "") not in ("", "0")

SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
    "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
    "MEDIA_ROOT": str(ROOT / "var" / "bench-media"),
    # wrk comes from one address: the tracking limiter still counts every request (see
    # tracking_line), with a limit no bench run reaches; a 429 would count as an error.
    "THROTTLE_TRACK": "10000000/min",
    "AXES_ENABLED": "0",
    "PAYMENTS_SANDBOX_ENABLED": "1",
    "CONN_MAX_AGE": "60",
    "LOG_LEVEL": "WARNING",
}
TARGETS = {
    "catalog_search": 0.5,
    "catalog_api_level4": 0.5,
    "procedure_detail": 0.5,
    "tracking": 0.4,
    "desk_queue_page1": 0.2,
    "desk_queue_page50": 0.2,
    "my_dossiers": 0.2,
    "file_dossier": 0.1,
    "stats": 0.5,
    "stats_api": 0.5,
}


@dataclass
class Line:
    name: str
    path: str
    script: Path = REPORT_LUA
    as_user: str | None = None  # "citizen" | "desk" (session cookie)
    token: bool = False


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, **SERVER_ENV, **(extra or {})}


def say(text: str) -> None:
    print(text, flush=True)


def database_exists() -> bool:
    found = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB_NAME, "-Atqc", "SELECT 1"],
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def prepare_database() -> None:
    if REUSE and database_exists():
        env = child_env()
        harness.manage("migrate", "--noinput", env=env)
        harness.manage("collectstatic", "--noinput", env=env)
        return
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", DB_NAME],
        check=True,
    )
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB_NAME], check=True)
    env = child_env()
    harness.manage("migrate", "--noinput", env=env)
    harness.manage("collectstatic", "--noinput", env=env)
    harness.manage("seed_demo", env=env)


def setup_django() -> None:
    os.environ.update(SERVER_ENV)
    import django

    django.setup()


def dossier_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('dossiers_dossier') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("SELECT count(*) FROM dossiers_dossier")
        return cursor.fetchone()[0]


def grow_to(scale: int) -> dict:
    """Add synthetic dossiers until the database holds ``scale``; report rows/s."""
    have = dossier_count()
    if have >= scale:
        return {"scale": scale, "added": 0}
    started = time.monotonic()
    result = harness.manage(
        "seed_scale", "--dossiers", str(scale - have), env=child_env(), check=False
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        say(f"  seed_scale unavailable or failed: {result.stderr.strip()[-300:]}")
        return {"scale": scale, "error": result.stderr.strip()[-300:]}
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB_NAME, "-qc", "VACUUM ANALYZE"],
        check=False,
    )
    added = scale - have
    return {
        "scale": scale,
        "added": added,
        "seconds": round(elapsed, 1),
        "rows_per_second": round(added / elapsed, 1),
    }


def session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def fixtures() -> dict:
    """Who logs in and what they look up: the busiest desk, citizen1, a real dossier."""
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from portal.models import Role, StaffMembership, User

    citizen = User.objects.get(username="citizen1")
    found: dict = {
        "citizen_cookie": session_cookie(citizen),
        "citizen_token": Token.objects.get_or_create(user=citizen)[0].key,
    }
    try:
        from dossiers.models import Dossier
    except ImportError:
        return found
    busiest = (
        Dossier.objects.values("current_agency").annotate(n=Count("id")).order_by("-n").first()
    )
    if busiest:
        desk, _ = User.objects.get_or_create(username="bench.desk")
        StaffMembership.objects.get_or_create(
            user=desk, agency_id=busiest["current_agency"], role=Role.DESK
        )
        found["desk_cookie"] = session_cookie(desk)
        found["busiest_agency_dossiers"] = busiest["n"]
    # "My dossiers" with a full first page: citizen1 owns at least 40 of the synthetic dossiers.
    owned = Dossier.objects.filter(applicant=citizen).count()
    if owned < 40:
        spare = (
            Dossier.objects.exclude(applicant=citizen)
            .order_by("id")
            .values_list("id", flat=True)[: 40 - owned]
        )
        Dossier.objects.filter(id__in=list(spare)).update(applicant=citizen)
    sample = Dossier.objects.order_by("-id").values("code", "applicant_phone").first()
    if sample:
        found["track_code"], found["track_phone"] = sample["code"], sample["applicant_phone"]
    return found


def filing_fixture() -> dict:
    from procedures.models import ProcedureVersion

    version = (
        ProcedureVersion.objects.accepting_online()
        .filter(name__icontains="khai sinh")
        .prefetch_related("documents")
        .first()
    )
    if version is None:
        return {}
    codes = [d.code for d in version.documents.all()][:2]
    if len(codes) < 2:
        return {}
    return {"procedure": version.procedure.code, "doc_a": codes[0], "doc_b": codes[1]}


def lines(found: dict) -> list[Line]:
    from procedures.models import ProcedureVersion

    detail = ProcedureVersion.objects.published().order_by("procedure__code").first()
    result = [
        Line("catalog_search", "/procedures/?q=dang+ky"),
        Line("catalog_api_level4", "/api/v1/procedures/?service_level=4"),
    ]
    if detail:
        result.append(Line("procedure_detail", f"/procedures/{detail.procedure.code}/"))
    if "track_code" in found:
        result.append(tracking_line(found))
    if "desk_cookie" in found:
        result.append(Line("desk_queue_page1", "/desk/?page=1", as_user="desk"))
        result.append(Line("desk_queue_page50", "/desk/?page=50", as_user="desk"))
    result.append(Line("my_dossiers", "/dossiers/", as_user="citizen"))
    result.append(Line("stats", "/stats/"))
    result.append(Line("stats_api", "/api/v1/stats/summary/"))
    return [line for line in result if not ONLY or line.name in ONLY]


def tracking_line(found: dict) -> Line:
    """Public tracking over a sample of dossiers spread across the table (``BENCH_TRACK_SAMPLE``,
    default 2,000), taken in turn, so cache misses are paid as well as hits.

    The per-address limiter stays on and does its full work on every request (one Redis INCR):
    wrk comes from one address, so the bench raises the limit with the documented setting
    (``THROTTLE_TRACK`` in SERVER_ENV) rather than exempting loopback, and any 429 left is a
    non-2xx answer that wrk counts as an error in the table."""
    from urllib.parse import urlencode

    from django.db import connection

    sample = env_int("BENCH_TRACK_SAMPLE", 2000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM dossiers_dossier")
        low, high = cursor.fetchone()
        step = max((high - low) // sample, 1)
        cursor.execute(
            "SELECT code, applicant_phone FROM dossiers_dossier "
            "WHERE (id - %s) %% %s = 0 ORDER BY id LIMIT %s",
            [low, step, sample],
        )
        rows = cursor.fetchall()
    paths = [f"/api/v1/track/?{urlencode({'code': c, 'phone': p})}" for c, p in rows]
    target = LOGS / "track-paths.txt"
    target.write_text("\n".join(paths) + "\n")
    os.environ["BENCH_TRACK_FILE"] = str(target)
    return Line("tracking", paths[0], script=TRACK_LUA)


def line_env(line: Line, found: dict) -> dict[str, str]:
    extra = {}
    if line.as_user == "desk":
        extra["BENCH_COOKIE"] = found["desk_cookie"]
    elif line.as_user == "citizen":
        extra["BENCH_COOKIE"] = found["citizen_cookie"]
    return {**os.environ, **extra}


def available(url: str, env: dict[str, str]) -> bool:
    import urllib.request

    request = urllib.request.Request(url)
    if env.get("BENCH_COOKIE"):
        request.add_header("Cookie", env["BENCH_COOKIE"])
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 200
    except OSError:
        return False


def measure(name: str, path: str, env: dict[str, str], script: Path = REPORT_LUA):
    return harness.wrk(
        name,
        f"http://127.0.0.1:{PORT}{path}",
        duration=DURATION,
        warmup=WARMUP,
        threads=THREADS,
        connections=CONNECTIONS,
        script=script,
        env=env,
    )


def interleaved(line: Line, env: dict[str, str]) -> dict:
    """REPEAT rounds of (floor, line); the median ratio is the figure."""
    rounds = []
    for _ in range(REPEAT):
        floor = measure("healthz", "/healthz", dict(os.environ))
        page = measure(line.name, line.path, env, line.script)
        rounds.append(
            {
                "floor": floor.as_dict(),
                "page": page.as_dict(),
                "ratio": round(page.requests_per_second / floor.requests_per_second, 3),
            }
        )
    ratio = statistics.median(r["ratio"] for r in rounds)
    pages = [r["page"] for r in rounds]
    return {
        "name": line.name,
        "path": line.path,
        "ratio": ratio,
        "target": TARGETS.get(line.name),
        "requests_per_second": statistics.median(p["requests_per_second"] for p in pages),
        "p50_ms": statistics.median(p["p50_ms"] for p in pages),
        "p99_ms": statistics.median(p["p99_ms"] for p in pages),
        "errors": sum(p["errors"] for p in pages),
        "rounds": rounds,
    }


def filing_line(found: dict) -> dict | None:
    """Citizens filing dossiers with two attachments, then every acknowledged filing checked.

    ``BENCH_FILING_CONNECTIONS`` clients (default 32) for ``BENCH_FILING_DURATION`` seconds
    (default 60), between two /healthz floors (the ratio uses their mean). Afterwards, from the
    codes of the 201 answers (wrk writes them) and the database: errors (non-2xx and socket),
    duplicate codes, acknowledged codes missing from the database, gaps in the daily sequences
    of this run, and every attachment row of this run with its file present in storage at the
    recorded size. A filing still in flight when wrk stops may be committed without an answer:
    it is reported as ``unacknowledged``, not as an error.
    """
    import tempfile

    filing = filing_fixture()
    if not filing or "citizen_token" not in found:
        return None
    duration = env_int("BENCH_FILING_DURATION", 60)
    connections = env_int("BENCH_FILING_CONNECTIONS", 32)
    last_id = _last_dossier_id()
    codes_dir = tempfile.mkdtemp(prefix="bench-codes-", dir=LOGS)
    env = {
        **os.environ,
        "BENCH_TOKEN": found["citizen_token"],
        "BENCH_PROCEDURE": filing["procedure"],
        "BENCH_DOC_A": filing["doc_a"],
        "BENCH_DOC_B": filing["doc_b"],
        "BENCH_CODES_DIR": codes_dir,
    }
    floor_before = measure("healthz", "/healthz", dict(os.environ))
    say(f"  file_dossier: {connections} connections for {duration} s …")
    page = harness.wrk(
        "file_dossier",
        f"http://127.0.0.1:{PORT}/api/v1/dossiers/",
        duration=duration,
        warmup=0,
        threads=THREADS,
        connections=connections,
        script=FILING_LUA,
        env=env,
    )
    floor_after = measure("healthz", "/healthz", dict(os.environ))
    time.sleep(2)  # let the last in-flight filings commit before counting
    floor = (floor_before.requests_per_second + floor_after.requests_per_second) / 2
    checks = check_filings(last_id, _acknowledged_codes(Path(codes_dir)))
    ok = page.errors == 0 and not any(
        checks[k] for k in ("duplicate_codes", "missing", "code_gaps", "attachments_bad")
    )
    return {
        "name": "file_dossier",
        "path": f"POST /api/v1/dossiers/ (2 attachments, {connections} clients, {duration} s)",
        "ratio": round(page.requests_per_second / floor, 3),
        "target": TARGETS["file_dossier"],
        "requests_per_second": page.requests_per_second,
        "p50_ms": page.p50_ms,
        "p99_ms": page.p99_ms,
        "errors": page.errors,
        "connections": connections,
        "duration_s": duration,
        "floor_requests_per_second": [
            floor_before.requests_per_second,
            floor_after.requests_per_second,
        ],
        **checks,
        "all_guarantees_held": ok,
    }


def _last_dossier_id() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM dossiers_dossier")
        return cursor.fetchone()[0]


def _acknowledged_codes(directory: Path) -> list[str]:
    codes = []
    for path in sorted(directory.glob("codes-*.txt")):
        codes.extend(line.strip() for line in path.read_text().splitlines() if line.strip())
    return codes


def check_filings(after_id: int, acknowledged: list[str]) -> dict:
    """What the filing line guarantees, checked in the database and the storage."""
    from collections import Counter

    from django.core.files.storage import storages
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT code FROM dossiers_dossier WHERE id > %s", [after_id])
        created = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT a.storage_name, a.size FROM dossiers_attachment a WHERE a.dossier_id > %s",
            [after_id],
        )
        attachments = cursor.fetchall()
        cursor.execute(
            "SELECT count(*) FROM dossiers_dossier d WHERE d.id > %s AND "
            "(SELECT count(*) FROM dossiers_attachment a WHERE a.dossier_id = d.id) <> 2",
            [after_id],
        )
        without_two = cursor.fetchone()[0]
    in_db = Counter(created)
    answered = Counter(acknowledged)
    # Daily sequences: this run's numbers of each agency-day prefix must be consecutive.
    sequences: dict[str, list[int]] = {}
    for code in created:
        prefix, _, seq = code.rpartition("-")
        if seq.isdigit():
            sequences.setdefault(prefix, []).append(int(seq))
    gaps = sum(max(s) - min(s) + 1 - len(set(s)) for s in sequences.values())
    storage = storages["private"]
    bad_files = 0
    for name, size in attachments:
        try:
            if storage.size(name) != size:
                bad_files += 1
        except OSError:
            bad_files += 1
    return {
        "acknowledged": len(acknowledged),
        "dossiers_created": len(created),
        "duplicate_codes": sum(n - 1 for n in in_db.values() if n > 1)
        + sum(n - 1 for n in answered.values() if n > 1),
        "missing": sum(1 for code in answered if code not in in_db),
        "unacknowledged": sum(1 for code in in_db if code not in answered),
        "code_gaps": gaps,
        "attachments": len(attachments),
        "attachments_bad": bad_files + without_two,
    }


def extras() -> dict:
    """Throughput figures that other parts of the portal expose as ``benchmark.run()``."""
    found = {}
    for module in ("dossiers.benchmark", "dossiers.documents.benchmark", "signatures.benchmark"):
        try:
            runner: Callable[[], dict] = import_module(module).run
        except (ImportError, AttributeError):
            continue
        say(f"  {module} …")
        found[module] = runner()
    return found


def print_table(scale: int, results: list[dict]) -> None:
    say(f"\n== {scale:,} dossiers ==")
    say(f"{'line':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}{'target':>8}")
    for r in results:
        target = f"{r['target']:.2f}" if r.get("target") else "-"
        say(
            f"{r['name']:<22}{r['requests_per_second']:>9.1f}{r['p50_ms']:>9.1f}"
            f"{r['p99_ms']:>9.1f}{r['errors']:>8}{r['ratio']:>8.3f}{target:>8}"
        )


def main() -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now(datetime.UTC)
    say(f"Preparing database {DB_NAME} …")
    prepare_database()
    setup_django()
    report: dict = {
        "started": started.isoformat(),
        "machine": harness.machine_facts(),
        "settings": {
            "duration_s": DURATION,
            "warmup_s": WARMUP,
            "repeat": REPEAT,
            "gunicorn_workers": WORKERS,
            "connections": CONNECTIONS,
            "threads": THREADS,
        },
        "scales": [],
    }
    worker = harness.start_worker(
        child_env(), LOGS / "worker.log", "default,routing,notifications,documents,postal"
    )
    try:
        for scale in SCALES:
            say(f"Growing to {scale:,} dossiers …")
            seeded = grow_to(scale)
            say(f"  {seeded}")
            server = harness.start_gunicorn(child_env(), PORT, WORKERS, LOGS / "gunicorn.log")
            try:
                found = fixtures()
                results = []
                for line in lines(found):
                    env = line_env(line, found)
                    if not available(f"http://127.0.0.1:{PORT}{line.path}", env):
                        say(f"  {line.name}: not available (skipped)")
                        continue
                    say(f"  {line.name} …")
                    results.append(interleaved(line, env))
                if scale == SCALES[-1] and (not ONLY or "file_dossier" in ONLY):
                    filing = filing_line(found)
                    if filing:
                        results.append(filing)
                print_table(scale, results)
                report["scales"].append({"scale": scale, "seed": seeded, "lines": results})
            finally:
                server.stop()
        report["extras"] = extras() if not ONLY or "extras" in ONLY else {}
    finally:
        worker.stop()
    report["scaling"] = scaling(report["scales"])
    if report["scaling"]:
        say("\n== scaling: time per request at the largest / smallest scale (target <= 2) ==")
        for name, value in report["scaling"].items():
            say(f"{name:<22}{value:>8.3f}")
    for module, figures in report.get("extras", {}).items():
        say(f"{module}: {figures}")
    out = RESULTS / f"bench-{started:%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))
    say(f"\nWritten {out.relative_to(ROOT)}")
    return 0


def scaling(scales: list[dict]) -> dict[str, float]:
    if len(scales) < 2:
        return {}
    small = {r["name"]: r for r in scales[0]["lines"]}
    large = {r["name"]: r for r in scales[-1]["lines"]}
    return {
        name: round(small[name]["requests_per_second"] / large[name]["requests_per_second"], 3)
        for name in small.keys() & large.keys()
        if large[name]["requests_per_second"]
    }


if __name__ == "__main__":
    sys.exit(main())
