"""Static group membership (Kafka's group.instance.id, KIP-345) for the workers.

Why: a worker killed outright (kill -9, out of memory, power) leaves its member in the
consumer group. Kafka evicts it after the session timeout (WIRE_KAFKA_SESSION_TIMEOUT_S);
until then a rebalance waits for it. The local emulator (noida-db 0.2.3) never evicts
it at all, and a client that rejoins under a new member id (aiokafka does so after a
commit refused with IllegalGeneration, which is what a member joining while another
commits causes there) leaves a ghost of itself that stalls every later rebalance
(bench/group_join.py, bench/group_ghost.py; deploy/README.md).

With a static id, a member that joins under an id the group already has *replaces* the
old member instead of waiting for it, on Kafka and on the emulator alike: a restarted
worker takes its partitions back at once, and a client that rejoins after a refused
commit replaces its own ghost. The id must be unique per live worker and stable across
its restarts: by default `<hostname>-<web port>` (two workers on one host cannot share a
web port); systemd units set WIRE_WORKER_INSTANCE_ID=%H-%i.

Leaving: aiokafka sends no LeaveGroup for a static member (Kafka's default: a static
member that stops is expected back). A worker stopped on purpose should hand its
partitions over now, not after the session timeout, so `install()` makes aiokafka leave
with LeaveGroup v3, which names the member by its instance id (the request Kafka's
admin client uses to remove static members). `install()` wraps one method of aiokafka's
GroupCoordinator (aiokafka is pinned; tests/unit/kafka/test_membership.py checks it).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar

from aiokafka.consumer.group_coordinator import GroupCoordinator
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import Array, Int16, Int32, Schema, String

log = logging.getLogger(__name__)

_WRAPPED = "_wirestream_static_leave"
LEAVE_TIMEOUT_S = 3.0


def instance_id(configured: str | None, web_port: int, hostname: str | None = None) -> str | None:
    """The worker's group.instance.id: the configured one, None for 'none' (dynamic
    membership), or `<hostname>-<web port>`."""
    if configured is not None and configured.strip():
        value = configured.strip()
        return None if value.lower() in {"none", "dynamic", "off"} else value
    return f"{hostname or socket.gethostname()}-{web_port}"


class LeaveGroupResponse_v3(Response):  # type: ignore[misc]
    API_KEY = 13
    API_VERSION = 3
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        (
            "members",
            Array(
                ("member_id", String("utf-8")),
                ("group_instance_id", String("utf-8")),
                ("error_code", Int16),
            ),
        ),
    )


class LeaveGroupRequest_v3(RequestStruct):  # type: ignore[misc]
    API_KEY = 13
    API_VERSION = 3
    RESPONSE_TYPE = LeaveGroupResponse_v3
    SCHEMA = Schema(
        ("group_id", String("utf-8")),
        ("members", Array(("member_id", String("utf-8")), ("group_instance_id", String("utf-8")))),
    )


class StaticLeaveGroupRequest(Request[LeaveGroupRequest_v3]):  # type: ignore[misc]
    """LeaveGroup for a static member (v3+: members named by member and instance id)."""

    API_KEY = 13
    _CLASSES: ClassVar[tuple[type[RequestStruct], ...]] = (LeaveGroupRequest_v3,)

    def __init__(self, group: str, member_id: str, group_instance_id: str) -> None:
        self._group = group
        self._member_id = member_id
        self._instance = group_instance_id

    def build(self, request_struct_class: type[LeaveGroupRequest_v3]) -> LeaveGroupRequest_v3:
        return request_struct_class(self._group, [(self._member_id, self._instance)])


def leaving(original: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """`_maybe_leave_group`, plus a LeaveGroup v3 for a static member (bounded in time:
    a broker that is down must not hold a stopping worker)."""

    @functools.wraps(original)
    async def leave(self: Any) -> None:
        instance = getattr(self, "_group_instance_id", None)
        if instance is not None:
            # Even before the first join completed: the broker may hold the member already.
            request = StaticLeaveGroupRequest(self.group_id, self.member_id or "", instance)
            try:
                resp = await asyncio.wait_for(self._send_req(request), LEAVE_TIMEOUT_S)
            except Exception as exc:  # best effort, as aiokafka's own leave
                log.warning("leaving group %s as %s failed: %r", self.group_id, instance, exc)
            else:
                log.info(
                    "left group %s as %s (error code %s)", self.group_id, instance, resp.error_code
                )
        await original(self)

    setattr(leave, _WRAPPED, True)
    return leave


def install() -> None:
    """Make aiokafka consumers with a group.instance.id leave their group when they stop.
    Idempotent."""
    if not getattr(GroupCoordinator._maybe_leave_group, _WRAPPED, False):
        GroupCoordinator._maybe_leave_group = leaving(GroupCoordinator._maybe_leave_group)


def dead_local_members(
    members: Iterable[str | None],
    me: str | None,
    hostname: str,
    answers: Callable[[int], bool],
) -> list[str]:
    """Static members that are workers of this host (`<hostname>-<port>`, the default id)
    whose web port nobody answers on: workers that died without leaving. Pure but for
    `answers(port)`."""
    dead = []
    prefix = f"{hostname}-"
    for member in members:
        if not member or member == me or not member.startswith(prefix):
            continue
        port = member[len(prefix) :]
        if port.isdigit() and not answers(int(port)):
            dead.append(member)
    return dead


def port_answers(port: int, host: str = "127.0.0.1", timeout_s: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def reap_dead_local_members(admin_kwargs: dict[str, Any], group: str, me: str | None) -> list[str]:
    """Remove from `group` the static members of this host whose worker is gone (what
    Kafka's admin tools do to a static member that will not come back; Kafka itself
    would evict it after the session timeout, the local emulator never does). Blocking:
    run it in a thread. Returns the ids removed."""
    from kafka import KafkaAdminClient
    from kafka.admin import MemberToRemove

    admin = KafkaAdminClient(**admin_kwargs)
    try:
        described = admin.describe_groups([group]).get(group) or {}
        ids = [m.get("group_instance_id") for m in described.get("members", [])]
        dead = dead_local_members(ids, me, socket.gethostname(), port_answers)
        if dead:
            admin.remove_group_members(group, [MemberToRemove(group_instance_id=d) for d in dead])
        return dead
    finally:
        admin.close()
