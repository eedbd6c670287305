"""Broker check: does a consumer killed outright (kill -9) hold its group for good?

    python -m bench.group_ghost [--wait 40]

Against the broker in `WIRE_KAFKA_BOOTSTRAP` (start one with `wire stack up` first).
Plain aiokafka consumers in child processes (no Faust, no wirestream code but the
membership helpers under test), a fresh 4-partition topic and group per case:

1. dynamic: A joins, is killed with SIGKILL; B (a new member) joins. Kafka evicts A after
   its session timeout (10 s here) and B gets the 4 partitions; noida-db 0.2.3 never
   evicts A: B waits in its join for as long as you let it.
2. static, same id: A joins with group.instance.id X, is killed; B joins with X. The
   broker replaces A by B at once (KIP-345), on Kafka and on noida-db alike: this is what
   a restarted worker does (its id is <hostname>-<web port>).
3. static, other id: A (id X) is killed; B joins with id Y and waits like in case 1 until
   X is removed with LeaveGroup v3 by instance id (what Kafka's admin tools do, and what a
   worker stuck in its join does for dead workers of its own host:
   pipeline.kafka.membership.reap_dead_local_members).

Each case prints how long B waited for its partitions (or that it got none).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid

from kafka.admin import KafkaAdminClient, MemberToRemove, NewTopic

from pipeline.settings import Settings

CONSUMER = """
import asyncio, sys, time
from aiokafka import AIOKafkaConsumer
bootstrap, topic, group, instance = sys.argv[1:5]
async def main():
    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
        group_instance_id=instance or None, enable_auto_commit=False,
        session_timeout_ms=10000, heartbeat_interval_ms=2000, auto_offset_reset="earliest")
    await c.start()
    while True:
        await c.getmany(timeout_ms=300)
        if c.assignment():
            print("assigned", time.monotonic(), flush=True)
asyncio.run(main())
"""


def consumer(bootstrap: str, topic: str, group: str, instance: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CONSUMER, bootstrap, topic, group, instance],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def first_assignment(proc: subprocess.Popen[str], timeout: float) -> float | None:
    """Seconds until the child says it has partitions, None if not within `timeout`."""
    t0 = time.monotonic()
    os.set_blocking(proc.stdout.fileno(), False)  # type: ignore[union-attr]
    while time.monotonic() - t0 < timeout:
        line = proc.stdout.readline() if proc.stdout else ""
        if line.startswith("assigned"):
            return time.monotonic() - t0
        time.sleep(0.2)
    return None


def case(bootstrap: str, a_id: str, b_id: str, wait: float, remove: str | None = None) -> str:
    run = uuid.uuid4().hex[:8]
    topic, group = f"wire-bench-ghost-{run}", f"wire-bench-ghost-{run}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, 4, 1)])
        a = consumer(bootstrap, topic, group, a_id)
        if first_assignment(a, 30) is None:
            a.kill()
            return "A got no partitions (broker not answering?)"
        a.kill()  # SIGKILL: no LeaveGroup
        a.wait()
        b = consumer(bootstrap, topic, group, b_id)
        try:
            if remove:
                time.sleep(5)
                admin.remove_group_members(group, [MemberToRemove(group_instance_id=remove)])
            got = first_assignment(b, wait)
        finally:
            b.kill()
            b.wait()
    finally:
        admin.close()
    if got is None:
        return f"B got NO partitions in {wait:.0f} s"
    if remove:
        return f"B waited 5 s, then got its partitions {got:.1f} s after A was removed"
    return f"B got its partitions after {got:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wait", type=float, default=40.0, help="seconds B may wait")
    args = parser.parse_args()
    bootstrap = Settings().kafka_bootstrap
    host = socket.gethostname()
    print(f"broker {bootstrap}; session timeout 10 s")
    print("1. dynamic members:           ", case(bootstrap, "", "", args.wait))
    x, y = f"{host}-ghost-x", f"{host}-ghost-y"
    print("2. static, B takes A's id:     ", case(bootstrap, x, x, args.wait))
    print("3. static, other id:           ", case(bootstrap, x, y, args.wait))
    print("3b. same, A removed by its id: ", case(bootstrap, x, y, args.wait, remove=x))


if __name__ == "__main__":
    main()
