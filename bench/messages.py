"""Message benchmarks over HTTP against a real ``crewboard serve`` process.

    .venv/bin/python -m bench.messages [--samples 300] [--backlog 10000]
                                       [--database sqlite|postgresql]

Prints send latency (direct, and a broadcast to a 50-member team), inbox-read latency (the
first unread page; a page after a cursor deep in a large inbox), and marking read, as
p50/p99 in milliseconds (one client, sequential requests); then 20 clients sending to one
inbox at once: messages per second, and messages lost or duplicated (both must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import (
    POSTGRES_ADMIN_URL,
    create_postgres_database,
    drop_postgres_database,
    http,
    server,
    summary_ms,
    timed,
    tmp_sqlite,
)
from bench.seed import SLUG, seed

logger = logging.getLogger("bench.messages")
PROJECT = f"/api/v1/projects/{SLUG}"
TEAM_SIZE = 50


async def measure(
    base: str, lead: str, agents: dict[str, str], samples: int, backlog: int
) -> dict[str, str]:
    """Every figure, in one server run."""
    names = list(agents)
    sender, reader = names[0], names[1]
    figures: dict[str, str] = {}
    async with http(base, lead) as client:
        team = {"name": "all", "members": names[:TEAM_SIZE]}
        (await client.post(f"{PROJECT}/teams", json=team)).raise_for_status()

        async def broadcast(i: int) -> None:
            body = {"kind": "broadcast", "team": "all", "body": f"stand-up {i}"}
            (await client.post(f"{PROJECT}/messages", json=body)).raise_for_status()

        figures[f"broadcast to {TEAM_SIZE} p50/p99 ms"] = summary_ms(
            await timed(broadcast, max(samples // 3, 1))
        )
    async with http(base, agents[sender]) as client:

        async def send(i: int) -> None:
            body = {"to": reader, "body": f"message {i}", "summary": "bench"}
            (await client.post(f"{PROJECT}/messages", json=body)).raise_for_status()

        figures["send p50/p99 ms"] = summary_ms(await timed(send, samples))
        for i in range(backlog):  # a deep inbox for the cursor read
            await send(samples + i)
    async with http(base, agents[reader]) as client:
        first = (await client.get(f"{PROJECT}/inbox", params={"limit": 1})).json()["items"]
        middle = first[0]["id"] + (samples + backlog) // 2

        async def unread(_: int) -> None:
            r = await client.get(f"{PROJECT}/inbox", params={"limit": 50})
            r.raise_for_status()

        async def after(_: int) -> None:
            r = await client.get(f"{PROJECT}/inbox", params={"limit": 50, "after": middle})
            r.raise_for_status()

        figures["inbox unread page of 50 p50/p99 ms"] = summary_ms(await timed(unread, samples))
        figures["inbox page after a cursor p50/p99 ms"] = summary_ms(await timed(after, samples))
        top = first[0]["id"]

        async def mark(i: int) -> None:
            r = await client.post(f"{PROJECT}/inbox/read", json={"ids": [top + i]})
            r.raise_for_status()

        figures["mark one read p50/p99 ms"] = summary_ms(await timed(mark, samples))
    figures.update(await storm(base, agents, names[2], samples))
    return figures


async def storm(base: str, agents: dict[str, str], sink: str, samples: int) -> dict[str, str]:
    """20 clients send to one inbox at once; messages/s, and lost or duplicated ones."""
    senders = [name for name in agents if name != sink][:20]
    each = max(samples // len(senders), 1)
    sent: list[int] = []

    async def flood(name: str) -> None:
        async with http(base, agents[name], connections=2) as client:
            for i in range(each):
                body = {"to": sink, "body": f"{name} {i}"}
                r = await client.post(f"{PROJECT}/messages", json=body)
                r.raise_for_status()
                sent.append(r.json()["id"])

    started = time.perf_counter()
    await asyncio.gather(*(flood(name) for name in senders))
    elapsed = time.perf_counter() - started
    received: list[int] = []
    async with http(base, agents[sink]) as client:
        cursor = None
        while True:
            params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(f"{PROJECT}/inbox", params=params)).json()
            received += [m["id"] for m in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
    lost = len(set(sent) - set(received))
    doubled = len(received) - len(set(received))
    return {
        f"{len(senders)} concurrent senders, messages/s": f"{len(sent) / elapsed:.0f}",
        "lost / duplicated": f"{lost} / {doubled}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    folder = Path(tempfile.mkdtemp(prefix="crewboard-bench-"))
    pg_name = "crewboard_bench_messages"
    try:
        if args.database == "sqlite":
            url = tmp_sqlite(folder, "messages")
        else:
            url = asyncio.run(create_postgres_database(args.postgres_admin_url, pg_name))
        try:
            seeded = asyncio.run(seed(url, 0, TEAM_SIZE))
            with server(url, {"CREWBOARD_JOBS_ENABLED": "false"}) as base:
                figures = asyncio.run(
                    measure(
                        base, seeded.lead_token, seeded.agent_tokens, args.samples, args.backlog
                    )
                )
        finally:
            if args.database == "postgresql":
                asyncio.run(drop_postgres_database(args.postgres_admin_url, pg_name))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in figures.items()]
    logger.info("\n%s", "\n".join(lines))


if __name__ == "__main__":
    main()
