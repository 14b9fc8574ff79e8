"""Installing the lab's helper scripts while daemons run them (no root needed).

netconfd executes the shared get-interface-ipv4 helper whenever it reads interface state. Rewriting
the helper in place (as reviving one device did) made a concurrent exec fail with ETXTBSY, and
netconfd aborts on that: a whole router lost NETCONF because another device was revived.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from lab.shell import install_executable

ONE, TWO = "#!/bin/sh\necho one\n", "#!/bin/sh\necho two\n"


def test_a_script_replaced_while_it_is_being_run_never_fails_to_start(tmp_path: Path) -> None:
    path = tmp_path / "helper"
    install_executable(path, ONE)
    failures: list[str] = []
    runs = 0
    stop = threading.Event()

    def run_it() -> None:
        nonlocal runs
        while not stop.is_set():
            try:
                out = subprocess.run([str(path)], capture_output=True, text=True, timeout=10).stdout.strip()
                if out not in ("one", "two"):
                    failures.append(f"ran, but printed {out!r}")
            except OSError as exc:  # ETXTBSY: exec of a file that is open for writing
                failures.append(str(exc))
            runs += 1

    runner = threading.Thread(target=run_it)
    runner.start()
    installs = 0
    try:
        while runs < 300:
            assert install_executable(path, (TWO, ONE)[installs % 2])
            installs += 1
    finally:
        stop.set()
        runner.join()
    assert installs >= runs // 2 and failures == [], failures[:3]


def test_an_identical_script_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "helper"
    assert install_executable(path, ONE)
    inode = path.stat().st_ino
    assert not install_executable(path, ONE)
    assert path.stat().st_ino == inode and path.stat().st_mode & 0o777 == 0o755
    assert install_executable(path, TWO) and path.read_text() == TWO
    assert [p.name for p in tmp_path.iterdir()] == ["helper"]  # no staging file left behind
