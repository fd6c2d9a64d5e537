"""/os-hypervisors: each compute host as a hypervisor (admin).

Usage figures (vcpus_used, memory_mb_used, local_gb_used, running_vms,
current_workload) are summed from the servers placed on the host. Shapes
by microversion: cpu_info an object from 2.28, pagination from 2.33, uuids
and the hypervisor_hostname_pattern / with_servers parameters from 2.53
(replacing /search and /servers), servers always shown when asked from
2.75, and from 2.88 no capacity figures, an uptime in the detail, and no
/statistics or /uptime.
"""

import json
import platform

from nova.api import errors
from nova.api.compute import common
from nova.api.compute.common import SHOW_QUERY, last
from nova.api.compute.handlers.services import configured, synced_db
from nova.api.compute.router import Route
from nova.api.compute.schemas import admin as schemas
from nova.compute import hosts as service
from nova.policies import admin as rules

HONOURED = {"os-hypervisors": {"2.28", "2.33", "2.53", "2.75", "2.88",
                               "2.102"}}

HYPERVISOR_TYPE = "builtin"
HYPERVISOR_VERSION = 1
_NO_USE = (0, 0, 0, 0, 0)


def _cpu_info(row):
    return {"arch": platform.machine() or "x86_64", "model": "builtin",
            "vendor": "nova-wsgi", "features": [],
            "topology": {"sockets": 1, "cores": row.vcpus, "threads": 1}}


def _view(req, row, used, hosts_conf, detail, servers=None,
          with_servers=False):
    uuid_ids = req.is_version("2.53")
    up = service.is_up(row, hosts_conf)
    body = {"id": row.node_uuid if uuid_ids else row.id,
            "hypervisor_hostname": row.host,
            "state": "up" if up else "down",
            "status": "disabled" if row.disabled else "enabled"}
    if detail:
        vcpus_used, ram_used, disk_used, count, busy = used.get(
            row.host, _NO_USE)
        service_view = {"id": row.uuid if uuid_ids else row.id,
                        "host": row.host,
                        "disabled_reason": row.disabled_reason}
        if req.is_version("2.88"):
            body.update(hypervisor_type=HYPERVISOR_TYPE,
                        hypervisor_version=HYPERVISOR_VERSION,
                        host_ip=None, service=service_view,
                        uptime=service.uptime_text(row.created_at)
                        if up else None)
        else:
            cpu_info = _cpu_info(row)
            body.update(
                vcpus=row.vcpus, memory_mb=row.memory_mb,
                local_gb=row.local_gb, vcpus_used=vcpus_used,
                memory_mb_used=ram_used, local_gb_used=disk_used,
                hypervisor_type=HYPERVISOR_TYPE,
                hypervisor_version=HYPERVISOR_VERSION,
                free_ram_mb=row.memory_mb - ram_used,
                free_disk_gb=row.local_gb - disk_used,
                current_workload=busy, running_vms=count,
                disk_available_least=row.local_gb - disk_used,
                host_ip=None, service=service_view,
                cpu_info=cpu_info if req.is_version("2.28")
                else json.dumps(cpu_info))
    if servers:
        body["servers"] = [{"name": name, "uuid": uuid}
                           for uuid, name in servers]
    elif with_servers and req.is_version("2.75"):
        body["servers"] = []
    return body


def _with_servers(req):
    raw = last(req.query, "with_servers")
    return raw is not None and req.is_version("2.53") and \
        common.parse_bool(raw, "with_servers")


def _matching(rows, pattern):
    found = [(row, zone) for row, zone in rows if pattern in row.host]
    if not found:
        raise errors.NotFound(
            f"No hypervisor matching '{pattern}' could be found.")
    return found


def _list(req, detail):
    paged = req.is_version("2.33")
    limit, marker = common.page_params(req) if paged else (None, None)
    pattern = last(req.query, "hypervisor_hostname_pattern") \
        if req.is_version("2.53") else None
    with_servers = _with_servers(req)
    if pattern is not None and ("limit" in req.query or marker):
        raise errors.BadRequest(
            "Paging over hypervisors with the hypervisor_hostname_pattern "
            "query parameter is not supported.")
    with synced_db(req).reader() as session:
        rows = service.list_hosts(session)
        if pattern is not None:
            rows = _matching(rows, pattern)
        if marker is not None:
            ids = [str(row.node_uuid if req.is_version("2.53") else row.id)
                   for row, _zone in rows]
            if marker not in ids:
                raise errors.BadRequest(f"marker [{marker}] not found")
            rows = rows[ids.index(marker) + 1:]
        if limit is not None and pattern is None:
            rows = rows[:limit]
        used = service.usage(session, [row.host for row, _z in rows]) \
            if detail else {}
        hosts_conf = configured(req)
        items = [_view(req, row, used, hosts_conf, detail,
                       servers=service.servers_on(session, row.host)
                       if with_servers else None,
                       with_servers=with_servers)
                 for row, _zone in rows]
    if not paged or pattern is not None:
        return {"hypervisors": items}
    return common.collection(req, "hypervisors", items, limit,
                             lambda item: item["id"],
                             collection_name="os-hypervisors",
                             path_suffix="/detail" if detail else "")


def index(req):
    return _list(req, detail=False)


def detail(req):
    return _list(req, detail=True)


def _find(req, session, hypervisor_id):
    if req.is_version("2.53"):
        if not service.is_uuid(hypervisor_id):
            raise errors.BadRequest(f"Invalid uuid {hypervisor_id}")
        found = service.get_by_id(session, hypervisor_id, node=True)
    else:
        try:
            key = int(hypervisor_id)
        except ValueError:
            key = None
        found = service.get_by_id(session, key) if key is not None \
            else None
    if found is None:
        raise errors.NotFound(
            f"Hypervisor with ID '{hypervisor_id}' could not be found.")
    return found[0]


def show(req, hypervisor_id):
    with_servers = _with_servers(req)
    with synced_db(req).reader() as session:
        row = _find(req, session, hypervisor_id)
        used = service.usage(session, [row.host])
        servers = service.servers_on(session, row.host) \
            if with_servers else None
        return {"hypervisor": _view(req, row, used, configured(req), True,
                                    servers=servers,
                                    with_servers=with_servers)}


def uptime(req, hypervisor_id):
    with synced_db(req).reader() as session:
        row = _find(req, session, hypervisor_id)
    hosts_conf = configured(req)
    if not service.is_up(row, hosts_conf):
        raise errors.BadRequest(
            f"Compute service of {row.host} is unavailable at this time.")
    body = _view(req, row, {}, hosts_conf, False)
    body["uptime"] = service.uptime_text(row.created_at)
    return {"hypervisor": body}


def statistics(req):
    """Totals over the hosts of enabled services, as upstream."""
    with synced_db(req).reader() as session:
        rows = [row for row, _zone in service.list_hosts(session)
                if not row.disabled]
        used = service.usage(session, [row.host for row in rows])
    stats = dict.fromkeys(
        ("count", "vcpus", "memory_mb", "local_gb", "vcpus_used",
         "memory_mb_used", "local_gb_used", "free_ram_mb", "free_disk_gb",
         "current_workload", "running_vms", "disk_available_least"), 0)
    for row in rows:
        vcpus_used, ram_used, disk_used, count, busy = used.get(
            row.host, _NO_USE)
        stats["count"] += 1
        stats["vcpus"] += row.vcpus
        stats["memory_mb"] += row.memory_mb
        stats["local_gb"] += row.local_gb
        stats["vcpus_used"] += vcpus_used
        stats["memory_mb_used"] += ram_used
        stats["local_gb_used"] += disk_used
        stats["free_ram_mb"] += row.memory_mb - ram_used
        stats["free_disk_gb"] += row.local_gb - disk_used
        stats["current_workload"] += busy
        stats["running_vms"] += count
        stats["disk_available_least"] += row.local_gb - disk_used
    return {"hypervisor_statistics": stats}


def search(req, pattern):
    with synced_db(req).reader() as session:
        rows = _matching(service.list_hosts(session), pattern)
    hosts_conf = configured(req)
    return {"hypervisors": [_view(req, row, {}, hosts_conf, False)
                            for row, _zone in rows]}


def servers(req, pattern):
    with synced_db(req).reader() as session:
        rows = _matching(service.list_hosts(session), pattern)
        hosts_conf = configured(req)
        return {"hypervisors": [
            _view(req, row, {}, hosts_conf, False,
                  servers=service.servers_on(session, row.host))
            for row, _zone in rows]}


_OLD = (2, 52)
_STATS = (2, 87)

ROUTES = (
    Route("/os-hypervisors", "GET", index, rules.HYPERVISORS % "list",
          query=schemas.HYPERVISORS_QUERY),
    Route("/os-hypervisors/detail", "GET", detail,
          rules.HYPERVISORS % "list-detail",
          query=schemas.HYPERVISORS_QUERY),
    Route("/os-hypervisors/statistics", "GET", statistics,
          rules.HYPERVISORS % "statistics", query=SHOW_QUERY,
          max_version=_STATS),
    Route("/os-hypervisors/{hypervisor_id}", "GET", show,
          rules.HYPERVISORS % "show", query=schemas.HYPERVISOR_QUERY),
    Route("/os-hypervisors/{hypervisor_id}/uptime", "GET", uptime,
          rules.HYPERVISORS % "uptime", query=SHOW_QUERY,
          max_version=_STATS),
    Route("/os-hypervisors/{pattern}/search", "GET", search,
          rules.HYPERVISORS % "search", query=SHOW_QUERY,
          max_version=_OLD),
    Route("/os-hypervisors/{pattern}/servers", "GET", servers,
          rules.HYPERVISORS % "servers", query=SHOW_QUERY,
          max_version=_OLD),
)
