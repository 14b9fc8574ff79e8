"""Measure ``up`` and ``down`` for the default topology and for N SNMP-only devices.

Run as root: ``.venv/bin/python -m lab.bench_up [--devices 100]``. Each lab gets its own
prefix and a temporary data dir; the figures are printed, nothing is kept.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from lab.lifecycle import down, status, up
from lab.model import LabOptions


def measure(spec: str, prefix: str, mgmt: str, base: Path) -> None:
    """Build, check and remove one lab, printing each phase's time."""
    options = LabOptions(data_dir=base / prefix, inventory_path=base / prefix / "inventory.yaml",
                         prefix=prefix, mgmt_subnet=mgmt, link_subnet="198.19.0.0/16")
    try:
        report = up(spec, options)
        phases = ", ".join(f"{k} {v:.2f}s" for k, v in report.phases.items())
        print(f"{spec:>10}: up {report.elapsed_s:6.2f}s ({phases}) for {len(report.devices)} devices")
        again = up(spec, options)
        print(f"{spec:>10}: up again (no-op) {again.elapsed_s:6.2f}s, reused={again.reused}")
        started = time.monotonic()
        healthy = sum(s.healthy for s in status(options))
        print(f"{spec:>10}: status {time.monotonic() - started:6.2f}s, {healthy}/{len(report.devices)} healthy")
    finally:
        gone = down(options)
    print(f"{spec:>10}: down {gone.elapsed_s:6.2f}s ({len(gone.namespaces)} namespaces, "
          f"{gone.processes} processes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=100, help="scale topology size (default 100)")
    parser.add_argument("--prefix", default="bnch", help="name prefix (default bnch)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
        measure("default", f"{args.prefix}d", "198.18.249.0/24", Path(tmp))
        mgmt = "198.18.244.0/22" if args.devices > 240 else "198.18.248.0/24"
        measure(f"scale:{args.devices}", f"{args.prefix}s", mgmt, Path(tmp))


if __name__ == "__main__":
    main()
