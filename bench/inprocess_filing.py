"""CPU per API filing in one process: Django's CPU and the PostgreSQL backend's CPU.

The bench's exact request (``bench/wrk/file_dossier.lua``: citizen1's token, a multipart body
with the five applicant fields, a fresh ``submission_key`` and two small PDFs) handed to Django's
WSGI handler as gunicorn hands it (so the request signals run: connection reuse and health
checks, cache closing), against the bench database (``BENCH_DB``, built by ``make bench``; reuse
it with ``BENCH_REUSE=1``) with production settings, real commits. Django's CPU is
``time.process_time``; PostgreSQL's is the backend's utime+stime from ``/proc/<pid>/stat``
(same machine, readable by the same user or root).

    BENCH_DB=motcua_bench_filing BENCH_REDIS_URL=redis://127.0.0.1:6379/7 \
        python bench/inprocess_filing.py [N] [profile]

Every run adds N + 5 dossiers to the bench database.
"""

from __future__ import annotations

import io
import os
import sys
import time
import uuid

from inprocess import ROOT  # noqa: F401  (sets the environment, like bench/inprocess.py)

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
BOUNDARY = "----motcua-bench-boundary"


def body(procedure: str, doc_a: str, doc_b: str) -> bytes:
    def field(name: str, value: str) -> bytes:
        return (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()

    def file(name: str, filename: str) -> bytes:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        return head + PDF + b"\r\n"

    return b"".join(
        [
            field("procedure", procedure),
            field("applicant_name", "Nguyễn Thị Thử Tải"),
            field("applicant_phone", "0912345678"),
            field("applicant_id_number", "068190000123"),
            field("applicant_address", "Xã Xuân Trường, Đà Lạt, Lâm Đồng"),
            field("result_delivery", "desk"),
            field("submission_key", uuid.uuid4().hex),
            file(f"doc_{doc_a}", "a.pdf"),
            file(f"doc_{doc_b}", "b.pdf"),
            f"--{BOUNDARY}--\r\n".encode(),
        ]
    )


def backend_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from bench.run import filing_fixture, fixtures

    found, filing = fixtures(), filing_fixture()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    application = WSGIHandler()
    token = found["citizen_token"]

    def post():
        payload = body(filing["procedure"], filing["doc_a"], filing["doc_b"])
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/dossiers/",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8765",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Token {token}",
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "CONTENT_LENGTH": str(len(payload)),
            "wsgi.input": io.BytesIO(payload),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        status: list[str] = []
        response = application(environ, lambda s, headers, exc_info=None: status.append(s))
        content = b"".join(response)
        response.close()
        if not status[0].startswith("201"):
            raise SystemExit(f"{status[0]}: {content[:500]!r}")

    for _ in range(5):
        post()
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        post()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    if len(sys.argv) > 2 and sys.argv[2] == "profile":
        import cProfile
        import pstats

        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(n):
            post()
        profile.disable()
        if os.environ.get("BENCH_PROFILE_FILE"):
            profile.dump_stats(os.environ["BENCH_PROFILE_FILE"])
        stats = pstats.Stats(profile).sort_stats(os.environ.get("SORT", "tottime"))
        stats.print_stats(int(os.environ.get("LINES", "45")))
        return
    pg, cpu, wall = backend_cpu(pid), time.process_time(), time.perf_counter()
    for _ in range(n):
        post()
    cpu = (time.process_time() - cpu) / n * 1000
    wall = (time.perf_counter() - wall) / n * 1000
    pg = (backend_cpu(pid) - pg) / n * 1000
    print(f"filing: django cpu {cpu:.2f} ms  postgres cpu {pg:.2f} ms  wall {wall:.2f} ms")
    print(f"  statements {len(queries)}: " + " | ".join(q[:60] for q in queries))


if __name__ == "__main__":
    main()
