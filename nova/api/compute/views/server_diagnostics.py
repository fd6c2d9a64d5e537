"""A server's diagnostics as JSON, by microversion.

Before 2.48 upstream passes on the driver's own free-form dict; this is the
one its libvirt driver makes (``cpu0_time``, ``vda_read``, ``vnet0_rx``,
``memory``...). From 2.48 the standardised document, every field present
(null when the driver does not know it).
"""


def legacy(diags):
    """The free-form dict of before 2.48 (libvirt's keys)."""
    out = {}
    for cpu in diags.cpus:
        out[f"cpu{cpu.id}_time"] = cpu.time
    for disk in diags.disks:
        out.update({f"{disk.name}_read_req": disk.read_requests,
                    f"{disk.name}_read": disk.read_bytes,
                    f"{disk.name}_write_req": disk.write_requests,
                    f"{disk.name}_write": disk.write_bytes,
                    f"{disk.name}_errors": disk.errors_count})
    for nic in diags.nics:
        out.update({f"{nic.name}_rx": nic.rx_octets,
                    f"{nic.name}_rx_packets": nic.rx_packets,
                    f"{nic.name}_rx_errors": nic.rx_errors,
                    f"{nic.name}_rx_drop": nic.rx_drop,
                    f"{nic.name}_tx": nic.tx_octets,
                    f"{nic.name}_tx_packets": nic.tx_packets,
                    f"{nic.name}_tx_errors": nic.tx_errors,
                    f"{nic.name}_tx_drop": nic.tx_drop})
    if diags.memory_mb is not None:
        kib = diags.memory_mb * 1024  # libvirt counts KiB
        out.update({"memory": kib, "memory-actual": kib})
    if diags.memory_used_mb is not None:
        out["memory-rss"] = diags.memory_used_mb * 1024
    return out


def standard(diags):
    """The document of 2.48 and later."""
    return {
        "state": diags.state,
        "driver": diags.driver,
        "hypervisor": diags.hypervisor,
        "hypervisor_os": diags.hypervisor_os,
        "uptime": diags.uptime,
        "config_drive": diags.config_drive,
        "num_cpus": len(diags.cpus),
        "num_nics": len(diags.nics),
        "num_disks": len(diags.disks),
        "cpu_details": [{"id": c.id, "time": c.time,
                         "utilisation": c.utilisation} for c in diags.cpus],
        "nic_details": [{
            "mac_address": n.mac_address, "rx_octets": n.rx_octets,
            "rx_errors": n.rx_errors, "rx_drop": n.rx_drop,
            "rx_packets": n.rx_packets, "rx_rate": n.rx_rate,
            "tx_octets": n.tx_octets, "tx_errors": n.tx_errors,
            "tx_drop": n.tx_drop, "tx_packets": n.tx_packets,
            "tx_rate": n.tx_rate} for n in diags.nics],
        "disk_details": [{
            "read_bytes": d.read_bytes, "read_requests": d.read_requests,
            "write_bytes": d.write_bytes,
            "write_requests": d.write_requests,
            "errors_count": d.errors_count} for d in diags.disks],
        "memory_details": {"maximum": diags.memory_mb,
                           "used": diags.memory_used_mb},
    }
