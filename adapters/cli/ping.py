"""Running ping on a device's CLI session.

FRR's vtysh ``ping WORD`` runs iputils ping with no count, as a Linux shell would: it stops only on
Ctrl-C. So the session writes the command, reads until ``count`` replies (or errors) came or the
deadline passed, sends Ctrl-C and reads the summary up to the prompt; a Linux shell takes
``ping -c N -W S`` and stops by itself. The destination is one token (an address or host name), so
nothing else can ride on the command line.
"""

from __future__ import annotations

import re
import time
from typing import Any

from adapters.cli.parsers.ping import parse_ping
from adapters.models import PingResult, Platform

DESTINATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:_-]{0,252}$")
REPLY_WAIT_S = 2.0  # how long after the last expected reply a lost one is waited for
READ_EVERY_S = 0.05
CTRL_C = "\x03"


def check_destination(destination: str) -> str:
    if not DESTINATION.fullmatch(destination):  # not match(): '$' lets a final line break through
        raise ValueError(f"not an address or host name: {destination!r}")
    return destination


def interactive_ping(connection: Any, destination: str, count: int) -> PingResult:
    """vtysh: ``ping DEST``, replies counted as they come, Ctrl-C, then the summary (1 s per echo)."""
    connection.write_channel(f"ping {check_destination(destination)}\n")
    output = ""
    deadline = time.monotonic() + count + REPLY_WAIT_S
    while output.count("icmp_seq=") < count and time.monotonic() < deadline:
        output += connection.read_channel()
        if "ping statistics ---" in output or re.search(r"^ping: ", output, re.MULTILINE):
            break  # ping ended by itself (no route, unknown name)
        time.sleep(READ_EVERY_S)
    if "ping statistics ---" not in output:
        connection.write_channel(CTRL_C)
    output += connection.read_until_prompt(read_timeout=10)
    return parse_ping(output)


def counted_ping(connection: Any, destination: str, count: int) -> PingResult:
    """A Linux shell: ``ping -c N -W 2 DEST`` ends by itself."""
    command = f"ping -c {int(count)} -W {int(REPLY_WAIT_S)} {check_destination(destination)}"
    text: str = connection.send_command(command, read_timeout=count + REPLY_WAIT_S + 10)
    return parse_ping(text)


def ping_on(platform: str, connection: Any, destination: str, count: int) -> PingResult:
    if platform == Platform.FRR:
        return interactive_ping(connection, destination, count)
    if platform == Platform.LINUX:
        return counted_ping(connection, destination, count)
    raise NotImplementedError(platform)
