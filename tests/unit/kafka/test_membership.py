"""Static membership (pipeline.kafka.membership): ids, the leave, dead local members."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.consumer.group_coordinator import GroupCoordinator

from pipeline.kafka import membership
from pipeline.kafka.membership import (
    LeaveGroupRequest_v3,
    StaticLeaveGroupRequest,
    dead_local_members,
    instance_id,
)


def test_the_instance_id_is_host_and_web_port_unless_set() -> None:
    assert instance_id(None, 6066, hostname="wire-1") == "wire-1-6066"
    assert instance_id("", 6066, hostname="wire-1") == "wire-1-6066"
    assert instance_id("worker-a", 6066, hostname="wire-1") == "worker-a"
    assert instance_id("none", 6066, hostname="wire-1") is None


def test_leave_group_v3_names_the_member_by_its_instance_id() -> None:
    struct = StaticLeaveGroupRequest("g", "m-1", "wire-1-6066").prepare({13: (0, 4)})
    assert isinstance(struct, LeaveGroupRequest_v3)
    encoded = struct.encode()
    assert b"wire-1-6066" in encoded and b"m-1" in encoded


def test_aiokafka_still_has_the_method_install_wraps() -> None:
    membership.install()
    membership.install()  # idempotent
    assert getattr(GroupCoordinator._maybe_leave_group, "_wirestream_static_leave", False)


def test_a_static_member_leaves_with_its_instance_id() -> None:
    sent: list[Any] = []

    class Fake:
        group_id, member_id, generation = "g", "m-1", 3
        _group_instance_id = "wire-1-6066"

        async def _send_req(self, request: Any) -> Any:
            sent.append(request)

            class R:
                error_code = 0

            return R()

    async def original(self: Any) -> None:
        sent.append("original")

    asyncio.run(membership.leaving(original)(Fake()))
    assert isinstance(sent[0], StaticLeaveGroupRequest) and sent[1] == "original"


def test_dead_local_members_are_this_hosts_workers_whose_port_is_closed() -> None:
    members = ["wire-1-6066", "wire-1-6067", "wire-1-6068", "wire-2-6066", None, "custom"]
    alive = {6068}
    dead = dead_local_members(members, "wire-1-6066", "wire-1", lambda port: port in alive)
    assert dead == ["wire-1-6067"]  # not itself, not another host's, not a live one
