"""The verification upload against a hostile PDF (finding 4): seconds and peak memory, before and after limits.

    .venv/bin/python bench/verify_dos.py [--streams 8] [--inflated-mb 60]

Each case runs in a fresh Python process (so peak RSS is that case's alone), after the imports a web worker
already has. "before" reads the file as the verification page did (pyHanko's default limits for untrusted
input, in the web worker's own process); "after" calls verify_pdf_bytes with the app's limits (inflate cap,
object count, child process with CPU and memory limits). Peak RSS is the web worker's process, and for "after"
also the child's.
"""
from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _case(mode: str, streams: int, inflated_mb: int) -> dict:
    from tests.archive.hostile import hostile_pdf

    data = hostile_pdf(streams=streams, inflated_mb=inflated_mb)
    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench", "SIGNING_TRUST_ROOTS": ""})
    with app.app_context():
        db.create_all()
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign import validation  # noqa: F401 - as imported by a worker that has verified before

        from app.archive.services.verification import VerificationRefused, verify_pdf_bytes

        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu = time.perf_counter(), time.process_time()
        if mode == "before":
            try:
                signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
                answer = f"read in full: {len(signatures)} signatures"
            except Exception as error:  # noqa: BLE001
                answer = f"{type(error).__name__}: {error}"[:120]
        else:
            try:
                answer = "; ".join(verify_pdf_bytes(data).problems)[:120]
            except VerificationRefused as refused:
                answer = str(refused)[:120]
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"mode": mode, "file_mb": round(len(data) / 2**20, 2), "seconds": round(elapsed, 2),
            "worker_cpu_seconds": round(cpu, 2), "baseline_rss_mb": round(baseline),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "child_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            "answer": answer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--inflated-mb", type=int, default=60)
    parser.add_argument("--case", choices=("before", "after"))
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_case(args.case, args.streams, args.inflated_mb)))
        return
    for mode in ("before", "after"):
        out = subprocess.run([sys.executable, __file__, "--case", mode, "--streams", str(args.streams),
                              "--inflated-mb", str(args.inflated_mb)], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{row['mode']:6} file {row['file_mb']} MB: {row['seconds']} s ({row['worker_cpu_seconds']} s CPU in the "
              f"worker), peak RSS {row['peak_rss_mb']} MB (after imports {row['baseline_rss_mb']} MB), "
              f"child {row['child_peak_rss_mb']} MB\n       {row['answer']}")


if __name__ == "__main__":
    main()
