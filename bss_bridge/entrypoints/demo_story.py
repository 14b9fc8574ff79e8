"""``oss-bss demo story``: the whole loop on the lab, told step by step with its evidence from both sides.

Against a running agent (``--oss-url``), BSS (``--bss-url``) and bridge, on the lab whose
namespaces start with ``--lab-prefix``: a customer orders business internet through the BSS's
TMF622; the agent activates it on the routers and the customer's LAN host reaches the Internet host;
traffic flows and becomes the agent's TMF635 usage, which the bridge carries into billing; a bill run
invoices it; a link fault raises an alarm on the agent, which opens a TMF621 ticket for that
customer in the BSS and resolves it when the link returns; the next invoice carries the SLA credit.

The billing month is simulated, not waited for: the account's bill cycle day is tomorrow (UTC), so
the current period ends at the next midnight; the first bill run is asked ``asOf`` now, the second
``asOf`` that period's end: the first invoice is the subscription's first period, the next one (as of
that period's end) carries the period's usage (billed in arrears) and the SLA credit for the outage.
The fault is held long enough to take the period's availability below the
offer's 99.9 % target (0.1 % of the hours the product is active in the period, with a margin).
Last the customer terminates, so that the story can be told again on the same lab and databases.

The steps are :func:`story`'s; each prints what it did and returns its evidence, which the lab test
asserts (``tests/bss_bridge/bridge/test_loop_lab.py``). Lab traffic goes only to the lab's namespaces.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from bss_bridge.domain.bridge import parse_instant

ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
PRODUCTS = "/tmf-api/productInventory/v4/product"
SERVICE_ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
SERVICES = "/tmf-api/serviceInventory/v4/service"
ALARMS = "/tmf-api/alarm/v4/alarm"
USAGE = "/tmf-api/usageManagement/v4/usage"
TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
RATES = "/tmf-api/customerBillManagement/v4/appliedCustomerBillingRate"
INTERNET_HOST = "198.18.4.10"  # the lab's Internet host, the far side of the customer's access
SLA_TARGET = Decimal("99.9")
DEADLINE_S = 300.0
Say = Callable[[str], None]


async def until(what: str, probe: Callable[[], Awaitable[Any]], deadline_s: float = DEADLINE_S) -> Any:
    """``probe()``'s first true answer, polled every half second; fails after ``deadline_s``."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.5)
    raise TimeoutError(f"{what}: not within {deadline_s:.0f} s")


def ping(prefix: str, host: str, count: int = 1, size: int = 56, interval: str = "0.2") -> int:
    """ICMP echo replies ``lan1`` (the customer's LAN host) gets from ``host``."""
    command = ["ip", "netns", "exec", f"{prefix}-lan1", "ping", "-n", "-q", "-c", str(count), "-s", str(size)]
    done = subprocess.run(
        [*command, "-i", interval, "-W", "2", host], capture_output=True, text=True, check=False, timeout=120
    )
    for part in done.stdout.split(","):
        if part.strip().endswith("received"):
            return int(part.split()[0])
    return 0


def link(prefix: str, device: str, port: str, state: str) -> None:
    subprocess.run(["ip", "-n", f"{prefix}-{device}", "link", "set", port, state], check=True, timeout=30)


def _money(amount: dict[str, Any]) -> str:
    """A TMF Money as an invoice shows it: the value to the cent (half up), then the currency."""
    value = Decimal(amount["value"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value} {amount['unit']}"


async def _json(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Any:
    answer = await client.request(method, path, **kwargs)
    if answer.is_error:
        raise RuntimeError(f"{method} {path}: HTTP {answer.status_code}: {answer.text[:500]}")
    return json.loads(answer.text, parse_float=Decimal)  # money stays exact, never a float


async def _bill(bss: httpx.AsyncClient, account: str, as_of: datetime) -> dict[str, Any]:
    """Run billing for ``account`` as of ``as_of``; the bill issued, with its lines (TMF678)."""
    body = {"asOf": as_of.isoformat().replace("+00:00", "Z"), "billingAccount": [{"id": account}]}
    run = await _json(bss, "POST", "/bss/v1/billRun", json=body)
    (bill,) = [b for b in run["bills"] if b["billNo"]]
    lines = await _json(bss, "GET", RATES, params={"bill.id": bill["billNo"]})
    kinds = [{c["name"]: c["value"] for c in line.get("characteristic", [])}.get("kind") for line in lines]
    return {**bill, "rates": lines, "kinds": kinds}


async def open_customer(
    bss: httpx.AsyncClient, name: str, **terms: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A customer, its billing account (EUR, 20 % tax, UTC; ``terms`` on top), and its orders' parties."""
    customer = await _json(bss, "POST", "/tmf-api/customerManagement/v4/customer", json={"name": name})
    body = {
        "name": "main",
        "relatedParty": [{"id": customer["id"], "role": "customer"}],
        "currency": "EUR",
        "taxRate": 20,
        "timeZone": "UTC",
    }
    account = await _json(bss, "POST", "/tmf-api/accountManagement/v4/billingAccount", json=body | terms)
    party = {
        "relatedParty": [{"id": customer["id"], "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": account["id"]},
    }
    return customer, account, party


def _print_bill(say: Say, bill: dict[str, Any]) -> None:
    period = bill["billingPeriod"]  # half-open local dates: the days billed end the day before its end
    last = date.fromisoformat(period["end"]) - timedelta(days=1)
    say(f"  invoice {bill['billNo']} for {period['start']} – {last.isoformat()}: {_money(bill['taxIncludedAmount'])}")
    for line in bill["lines"]:
        say(f"    {line['description']}: {_money(line['amount'])}")


async def story(oss_url: str, bss_url: str, prefix: str, say: Say = print) -> dict[str, Any]:
    """Tell the story; the evidence of each step (the test asserts it)."""
    found: dict[str, Any] = {}
    async with (
        httpx.AsyncClient(base_url=oss_url, timeout=30) as oss,
        httpx.AsyncClient(base_url=bss_url, timeout=60) as bss,
    ):
        say("1. a customer orders business internet (bia-100) at site customer1 through the BSS (TMF622)")
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).day
        # the billing month simulated: with tomorrow's bill cycle day this period ends at the next midnight
        customer, account, party = await open_customer(bss, "Demo Co", billCycleDay=tomorrow)
        chars = [{"name": "site", "value": "customer1"}, {"name": "lan", "value": "198.18.2.0/24"}]
        item: dict[str, Any] = {"id": "1", "action": "add", "productOffering": {"id": "bia-100"}}
        item["product"] = {"productCharacteristic": chars}
        order = await _json(bss, "POST", ORDERS, json=party | {"productOrderItem": [item]})
        say(f"  customer {customer['id']}, account {account['id']} (bill cycle day {tomorrow}), order {order['id']}")

        async def product() -> dict[str, Any] | None:
            placed = await _json(bss, "GET", f"{ORDERS}/{order['id']}")
            if placed["state"] == "failed":
                raise RuntimeError(f"product order {order['id']} failed: {placed['productOrderItem']}")
            found_ = await _json(bss, "GET", f"{PRODUCTS}/{placed['productOrderItem'][0]['product']['id']}")
            return found_ if found_["status"] == "active" else None

        say("2. the OSS activates it on the routers (TMF641 through the bridge) and verifies it with traffic")
        active = await until("the product active", product)
        (so,) = await _json(oss, "GET", SERVICE_ORDERS, params={"externalId": f"{order['id']}:1"})
        so = await _json(oss, "GET", f"{SERVICE_ORDERS}/{so['id']}")
        service_id = so["serviceOrderItem"][0]["service"]["id"]
        service = await _json(oss, "GET", f"{SERVICES}/{service_id}")
        riding = [r["id"] for r in service["supportingResource"]]
        say(f"  OSS: service order {so['id']} {so['state']} at {so['completionDate']}; service {service_id}")
        say(f"  OSS: {service['state']} on {', '.join(riding)}")
        say(f"  BSS: product {active['id']} {active['status']} from {active['startDate']} (billing starts then)")
        replies = ping(prefix, INTERNET_HOST, count=3)
        say(f"  the customer's LAN host lan1 reaches the Internet host {INTERNET_HOST}: {replies}/3 replies")
        found |= {"customer": customer["id"], "account": account["id"], "product": active, "service": service}
        found |= {"service_order": so, "reached": replies}

        say("3. traffic flows and becomes usage: the OSS publishes it (TMF635), the bridge imports it into billing")
        meter = {"usageCharacteristic.value": service_id, "usageType": "volume"}
        opening = await until("the service's first usage record", lambda: _json(oss, "GET", USAGE, params=meter))
        earlier = {r["id"] for r in opening}  # from the meter's start (a poll sample there counts pro rata)
        sent = ping(prefix, INTERNET_HOST, count=200, size=1400, interval="0.02")
        say(f"  lan1 sent 200 x 1400-byte pings to the Internet host, {sent} answered")

        async def rated() -> list[dict[str, Any]] | None:
            records = await _json(bss, "GET", USAGE, params={"productId": active["id"], "usageType": "volume"})
            later = [r for r in records if r["id"] not in earlier]
            octets = sum(
                int(c["value"]) for r in later for c in r["usageCharacteristic"] if c["name"].endswith("Octets")
            )
            done = records and all(r["status"] == "rated" for r in records) and octets >= 2 * sent * 1400
            return records if done else None

        records = await until("the traffic rated as usage in the BSS", rated)
        published = await _json(oss, "GET", USAGE, params={"usageCharacteristic.value": service_id})
        octets = {
            n: sum(int(c["value"]) for r in records for c in r["usageCharacteristic"] if c["name"] == n)
            for n in ("inboundOctets", "outboundOctets")
        }
        say(f"  OSS: {len(published)} usage record(s) published for service {service_id}")
        say(f"  BSS: {len(records)} volume record(s) rated for product {active['id']}: {octets}")
        found |= {"usage": records, "published": published, "sent": sent}

        say("4. a bill run as of now: the first invoice (setup, this period's charge in advance); usage is billed")
        say("   in arrears, so this period's usage goes on the next invoice")
        first = await _bill(bss, account["id"], datetime.now(UTC))
        _print_bill(say, first)
        period_end = datetime.fromisoformat(first["billingPeriod"]["end"]).replace(tzinfo=UTC)
        found["first_bill"] = first

        say("5. a link fault: the PE's port to the customer goes down; an alarm on the OSS, a ticket in the BSS")
        device, port = next(r for r in riding if r.startswith("pe") and ":" in r).split(":", 1)
        started = parse_instant(active["startDate"]) or datetime.now(UTC)
        days = (period_end.date() - started.date()).days  # the SLA measures the active days of the period
        hold_s = days * 86400 * float(100 - SLA_TARGET) / 100 * 1.3 + 10
        before = time.monotonic()
        link(prefix, device, port, "down")
        try:
            say(
                f"  ip link set {port} down on {prefix}-{device}; held {hold_s:.0f} s (the period's availability "
                f"then falls below the {SLA_TARGET} % target)"
            )

            async def ticket() -> dict[str, Any] | None:
                found_ = await _json(bss, "GET", TICKETS, params={"relatedParty.id": customer["id"]})
                return found_[0] if found_ else None

            opened = await until("the ticket", ticket)
            alarm_id = opened["externalId"].removeprefix("alarm-").rsplit(":", 1)[0]
            alarm = await _json(oss, "GET", f"{ALARMS}/{alarm_id}")
            say(
                f"  OSS: alarm {alarm['id']} {alarm['perceivedSeverity']} {alarm.get('specificProblem', '')} on "
                f"{alarm['alarmedObject']['id']} raised at {alarm['alarmRaisedTime']}"
            )
            say(f"  BSS: ticket {opened['id']} ({opened['status']}) for {customer['id']}: {opened['name']}")
            await asyncio.sleep(max(0.0, hold_s - (time.monotonic() - before)))  # the outage the SLA will count
        finally:
            link(prefix, device, port, "up")

        async def resolved() -> dict[str, Any] | None:
            found_ = await _json(bss, "GET", f"{TICKETS}/{opened['id']}")
            return found_ if found_["status"] in ("resolved", "closed") else None

        closed = await until("the ticket resolved", resolved)
        alarm = await _json(oss, "GET", f"{ALARMS}/{alarm_id}")
        say(
            f"  the link is back: alarm {alarm['state']} at {alarm.get('alarmClearedTime')}, "
            f"ticket {closed['status']} at {closed.get('resolutionDate')}"
        )
        back = await until("lan1 reaching the Internet host", lambda: asyncio.to_thread(ping, prefix, INTERNET_HOST))
        found |= {"alarm": alarm, "ticket": closed, "reached_again": back}

        say("6. the billing month simulated: a bill run as of the period's end; the next invoice carries this")
        say("   period's usage and the SLA credit for the outage")
        second = await _bill(bss, account["id"], period_end)
        _print_bill(say, second)
        found["second_bill"] = second

        say("7. the customer terminates: the BSS's delete order becomes the OSS's, which removes exactly what the")
        say("   service added (the port is free for the next story); billing ends with the termination")
        end = {"id": "1", "action": "delete", "product": {"id": active["id"]}}
        await _json(bss, "POST", ORDERS, json=party | {"productOrderItem": [end]})

        async def terminated() -> dict[str, Any] | None:
            found_ = await _json(bss, "GET", f"{PRODUCTS}/{active['id']}")
            return found_ if found_["status"] == "terminated" else None

        gone = await until("the product terminated", terminated)
        removed = await _json(oss, "GET", f"{SERVICES}/{service_id}")
        say(f"  BSS: product {gone['id']} {gone['status']} at {gone.get('terminationDate')}")
        say(f"  OSS: service {service_id} {removed['state']}")
        found |= {"terminated": gone, "service_after": removed}
    return found
