"""What each compute API microversion changed, from 2.1 to 2.104.

``HISTORY`` is a plain list literal (no code, so it can be read with
``ast.literal_eval``) of one tuple per microversion, in order, none missing::

    (version, touches, change)

``version``
    The microversion as text, e.g. ``"2.55"``.

``touches``
    The resources whose request or response the version changes, named by
    the FIRST URL segment under ``/v2.1`` (``"flavors"``, ``"os-keypairs"``),
    except below ``/servers/{id}``, which is split so that a server feature
    not served yet does not hold the maximum back: ``"servers"`` is the
    servers collection itself (create, list, show, update, delete, their
    views and filters), ``"servers/<segment>"`` a sub-collection
    (``servers/tags``, ``servers/os-instance-actions``,
    ``servers/os-volume_attachments``, ``servers/remote-consoles``...),
    ``"servers/action:<name>"`` one server action (``servers/action:rebuild``).
    A tuple of names, or a single name as a ``str``; empty when the version
    changes nothing a resource handler has to do (header-only or
    signalling-only versions).
    Versions that remove an API (it answers 404 from that version on) touch
    the removed resource too.

``change``
    One line saying what changed, precise enough to implement the
    before/after behaviour. "(unconfirmed)" marks facts that could not be
    checked against upstream's published version history.

``nova/api/microversions.py`` wraps each tuple in a ``Change`` and computes
the advertised maximum from it: the highest version such that every version
up to it either touches no resource this project serves or is honoured by
the handlers of every served resource it touches.

Written from upstream's public REST API version history, the API reference
and client/test schemas; the text is this project's own summary.
"""

HISTORY = [
    ("2.1", (),
     "Base v2.1 API: same as v2.0 but with strict JSON-schema input "
     "validation; a request without a version header is served as 2.1."),
    ("2.2", ("os-keypairs",),
     "Keypair 'type' ('ssh' default, or 'x509') accepted on POST "
     "/os-keypairs and returned; create status 200->201, DELETE status "
     "202->204."),
    ("2.3", ("servers",),
     "Server show/detail expose OS-EXT-SRV-ATTR:reservation_id, launch_index, "
     "ramdisk_id, kernel_id, hostname, root_device_name, user_data (admin); "
     "volumes_attached items gain delete_on_termination."),
    ("2.4", ("os-fixed-ips",),
     "GET /os-fixed-ips/{fixed_ip} response includes the boolean 'reserved'."),
    ("2.5", ("servers",),
     "GET /servers(/detail): the 'ip6' filter is honoured for non-admin users "
     "(was silently dropped)."),
    ("2.6", ('servers/remote-consoles', 'servers/action:os-getVNCConsole', 'servers/action:os-getSPICEConsole', 'servers/action:os-getSerialConsole', 'servers/action:os-getRDPConsole'),
     "New POST /servers/{id}/remote-consoles {remote_console:{protocol,type}} "
     "-> {remote_console:{protocol,type,url}}; the os-getVNCConsole, "
     "-SPICEConsole, -SerialConsole, -RDPConsole actions are removed."),
    ("2.7", ("flavors",),
     "POST /flavors/{id}/action addTenantAccess on a public flavor (is_public "
     "true) returns 409 Conflict."),
    ("2.8", ('servers/remote-consoles',),
     "remote-consoles accepts protocol 'mks' with type 'webmks'."),
    ("2.9", ('servers', 'servers/action:rebuild'),
     "Boolean 'locked' added to server show/detail and to the PUT (update) "
     "and rebuild responses."),
    ("2.10", ("os-keypairs",),
     "Admins may pass user_id: query parameter on GET list/show and DELETE "
     "/os-keypairs, and keypair.user_id in the POST body to create for "
     "another user."),
    ("2.11", ("os-services",),
     "os-services responses include 'forced_down'; new PUT "
     "/os-services/force-down {host, binary, forced_down}."),
    ("2.12", ('servers/os-virtual-interfaces',),
     "GET /servers/{id}/os-virtual-interfaces items include 'net_id'."),
    ("2.13", ("os-server-groups",),
     "Server group responses include 'project_id' and 'user_id'."),
    ("2.14", ('servers/action:evacuate',),
     "evacuate action: 'onSharedStorage' removed from the body (auto "
     "detected) and 'adminPass' no longer returned (empty response body)."),
    ("2.15", ("os-server-groups",),
     "POST /os-server-groups accepts the 'soft-affinity' and "
     "'soft-anti-affinity' policies."),
    ("2.16", ("servers",),
     "GET /servers/detail and /servers/{id} include 'host_status' (UP, DOWN, "
     "MAINTENANCE, UNKNOWN or ''), policy controlled (admin by default)."),
    ("2.17", ('servers/action:trigger_crash_dump',),
     "New server action {'trigger_crash_dump': null} -> 202 (409 if the "
     "server is not ACTIVE/PAUSED/... or locked)."),
    ("2.18", (),
     "Routes no longer need the /{project_id} path prefix (/v2.1/servers as "
     "well as /v2.1/{project_id}/servers); signalling only, the router "
     "accepts both forms at any version."),
    ("2.19", ('servers', 'servers/action:rebuild'),
     "'description' (<=255 chars or null) accepted on server create, rebuild "
     "and update, and returned in server show/detail/update/rebuild."),
    ("2.20", ('servers/os-volume_attachments',),
     "os-volume_attachments attach (POST) and detach (DELETE) allowed for "
     "SHELVED and SHELVED_OFFLOADED servers (was 409)."),
    ("2.21", ('servers/os-instance-actions',),
     "GET /servers/{id}/os-instance-actions and .../{request_id} also work "
     "for deleted servers."),
    ("2.22", ('servers/migrations',),
     "New POST /servers/{id}/migrations/{migration_id}/action "
     "{'force_complete': null} -> 202 to force a running live migration to "
     "complete."),
    ("2.23", ('servers/migrations', 'os-migrations'),
     "New GET /servers/{id}/migrations and .../{migration_id} (in-progress "
     "live migrations); GET /os-migrations adds 'migration_type' and links "
     "for in-progress live migrations."),
    ("2.24", ('servers/migrations',),
     "New DELETE /servers/{id}/migrations/{migration_id} -> 202 aborts a "
     "running live migration."),
    ("2.25", ('servers/action:os-migrateLive',),
     "os-migrateLive: block_migration accepts 'auto' (besides true/false); "
     "disk_over_commit removed from the body."),
    ("2.26", ('servers', 'servers/tags'),
     "Server tags: GET/PUT/DELETE /servers/{id}/tags and /tags/{tag} (max "
     "50, <=60 chars, no '/' or ','), 'tags' in server show; GET /servers "
     "filters tags, tags-any, not-tags, not-tags-any."),
    ("2.27", (),
     "'OpenStack-API-Version: compute X.Y' header accepted alongside "
     "X-OpenStack-Nova-API-Version; responses carry both headers and Vary; "
     "handled by version negotiation, not by resources."),
    ("2.28", ("os-hypervisors",),
     "Hypervisor 'cpu_info' is returned as a JSON object instead of a JSON "
     "encoded string."),
    ("2.29", ('servers/action:evacuate',),
     "evacuate action accepts optional boolean 'force' (default false); a "
     "given 'host' is validated by the scheduler unless force is true."),
    ("2.30", ('servers/action:os-migrateLive',),
     "os-migrateLive accepts optional boolean 'force' (default false); a "
     "given 'host' is validated by the scheduler unless force is true."),
    ("2.31", ("os-console-auth-tokens",),
     "GET /os-console-auth-tokens/{token} returns connection info for every "
     "console type, not only RDP."),
    ("2.32", ("servers",),
     "POST /servers: optional 'tag' on networks[] items and on "
     "block_device_mapping_v2[] items (device role tagging)."),
    ("2.33", ("os-hypervisors",),
     "GET /os-hypervisors(/detail) accept 'limit' and 'marker' (hypervisor "
     "id) pagination, with hypervisors_links."),
    ("2.34", ('servers/action:os-migrateLive',),
     "os-migrateLive pre-checks run asynchronously: the action returns 202 "
     "and no longer 400 on pre-check failure (see instance actions)."),
    ("2.35", ("os-keypairs",),
     "GET /os-keypairs accepts 'limit' and 'marker' (keypair name), sorted "
     "by name ascending, with keypairs_links."),
    ("2.36", ("images", "os-networks", "os-tenant-networks", "os-fixed-ips",
              "os-floating-ips", "os-floating-ips-bulk",
              "os-floating-ip-pools", "os-floating-ip-dns",
              "os-security-groups", "os-security-group-rules",
              "os-security-group-default-rules", "os-volumes",
              "os-snapshots", "os-baremetal-nodes", "os-fping", "limits",
              "os-quota-sets", "os-quota-class-sets"),
     "Proxy APIs and os-fping return 404; network quotas (floating_ips, "
     "fixed_ips, security_groups, security_group_rules, networks) leave "
     "limits and os-quota-sets (quota-class-sets only from 2.50)."),
    ("2.37", ("servers",),
     "POST /servers: 'networks' required, either a list or 'auto'/'none'; "
     "networks[].uuid must be a UUID; networks[].tag no longer accepted "
     "(bug, restored in 2.42)."),
    ("2.38", ("servers",),
     "GET /servers(/detail) with an invalid 'status' filter returns 400 "
     "(was empty list for users, 500 for admins)."),
    ("2.39", ('images', 'limits', 'servers/action:createImage', 'servers/action:createBackup'),
     "Image-metadata proxy (/images/{id}/metadata) returns 404; "
     "'maxImageMeta' removed from GET /limits; createImage/createBackup "
     "stop enforcing the metadata quota."),
    ("2.40", ("os-simple-tenant-usage",),
     "GET /os-simple-tenant-usage(/{tenant_id}) accept 'limit' and 'marker' "
     "(instance uuid) pagination, with tenant_usages_links / "
     "tenant_usage_links."),
    ("2.41", ("os-aggregates",),
     "Aggregate responses include the aggregate 'uuid'."),
    ("2.42", ("servers",),
     "POST /servers: 'tag' accepted again on networks[] and "
     "block_device_mapping_v2[] items."),
    ("2.43", ("os-hosts",),
     "All /os-hosts APIs return 404 (use os-hypervisors and os-services)."),
    ("2.44", ('servers/os-virtual-interfaces', 'servers/action:addFixedIp', 'servers/action:removeFixedIp', 'servers/action:addFloatingIp', 'servers/action:removeFloatingIp'),
     "addFixedIp, removeFixedIp, addFloatingIp, removeFloatingIp actions and "
     "GET /servers/{id}/os-virtual-interfaces return 404."),
    ("2.45", ('servers/action:createImage', 'servers/action:createBackup'),
     "createImage and createBackup actions return body {'image_id': uuid} "
     "and no Location header."),
    ("2.46", (),
     "Responses also carry X-OpenStack-Request-ID (besides "
     "X-Compute-Request-ID); signalling only, middleware sets it for every "
     "version."),
    ("2.47", ('servers', 'servers/action:rebuild'),
     "Server show/detail/update/rebuild 'flavor' becomes {vcpus, ram, disk, "
     "ephemeral, swap, original_name, extra_specs (policy)} instead of "
     "{id, links}."),
    ("2.48", ('servers/diagnostics',),
     "GET /servers/{id}/diagnostics standardized: state, driver, hypervisor, "
     "hypervisor_os, uptime, config_drive, num_cpus/nics/disks, "
     "cpu/nic/disk_details, memory_details (missing -> null)."),
    ("2.49", ('servers/os-interface', 'servers/os-volume_attachments'),
     "Optional 'tag' on POST /servers/{id}/os-interface and POST "
     "/servers/{id}/os-volume_attachments (not for shelved-offloaded)."),
    ("2.50", ("os-quota-class-sets",),
     "os-quota-class-sets GET/PUT add server_groups and server_group_members "
     "and drop fixed_ips, floating_ips, networks, security_group_rules, "
     "security_groups."),
    ("2.51", ('os-server-external-events', 'servers/os-instance-actions'),
     "os-server-external-events accepts name 'volume-extended'; GET "
     "/servers/{id}/os-instance-actions/{req_id} shows 'events' to "
     "non-admins (traceback admin only)."),
    ("2.52", ("servers",),
     "POST /servers accepts 'tags' (same rules as 2.26)."),
    ("2.53", ("os-services", "os-hypervisors"),
     "Service/hypervisor ids are UUIDs; PUT /os-services/{uuid} {status, "
     "disabled_reason, forced_down} replaces enable/disable/force-down; "
     "hypervisor search/servers routes -> query params."),
    ("2.54", ('servers/action:rebuild',),
     "rebuild action accepts 'key_name' (null unsets the keypair); key_name "
     "returned in the rebuild response."),
    ("2.55", ("flavors",),
     "Flavor 'description' in GET/POST flavors responses and POST body; new "
     "PUT /flavors/{id} {flavor:{description}} to update it."),
    ("2.56", ('servers/action:migrate',),
     "migrate action accepts {'migrate': {'host': <name>|null}}; a host is "
     "validated by the scheduler."),
    ("2.57", ('servers', 'limits', 'os-quota-sets', 'os-quota-class-sets', 'servers/action:rebuild'),
     "'personality' removed from create/rebuild, rebuild accepts user_data; "
     "maxPersonality/Size gone from limits; injected_file* quotas gone from "
     "quota and quota-class sets."),
    ("2.58", ('servers/os-instance-actions',),
     "GET /servers/{id}/os-instance-actions accepts limit, marker (request "
     "id) and changes-since, returns links and 'updated_at' per action."),
    ("2.59", ('os-migrations', 'servers/migrations'),
     "GET /os-migrations accepts limit, marker (uuid), changes-since and "
     "rejects unknown query params; migrations under os-migrations and "
     "servers include 'uuid'."),
    ("2.60", ('servers/os-volume_attachments',),
     "Multiattach volumes may be attached to several servers (volume attach "
     "and boot from volume)."),
    ("2.61", ("flavors",),
     "Flavor 'extra_specs' included in GET /flavors/detail, GET "
     "/flavors/{id}, POST and PUT flavor responses (policy controlled)."),
    ("2.62", ('servers/os-instance-actions',),
     "Instance action events (GET .../os-instance-actions/{req_id}) include "
     "'hostId' and, per policy, 'host'."),
    ("2.63", ('servers', 'servers/action:rebuild'),
     "'trusted_image_certificates' (<=50 ids) accepted on create and rebuild "
     "and returned in server show/detail/update/rebuild."),
    ("2.64", ("os-server-groups",),
     "Server groups take/return 'policy' (string) and 'rules' "
     "({max_server_per_host} for anti-affinity) instead of 'policies' and "
     "'metadata'."),
    ("2.65", ('servers/migrations',),
     "DELETE /servers/{id}/migrations/{mid} can abort live migrations in "
     "'queued' and 'preparing' status (was 400)."),
    ("2.66", ('servers', 'os-migrations', 'servers/os-instance-actions'),
     "'changes-before' filter on GET /servers(/detail), "
     "/servers/{id}/os-instance-actions and /os-migrations."),
    ("2.67", ("servers",),
     "POST /servers block_device_mapping_v2[] items accept 'volume_type'."),
    ("2.68", ('servers/action:evacuate', 'servers/action:os-migrateLive'),
     "'force' removed from the evacuate and os-migrateLive actions (400 if "
     "given)."),
    ("2.69", ("servers", "os-services"),
     "GET /servers, /servers/detail, /servers/{id} and /os-services return "
     "minimal records (status UNKNOWN, missing keys) for down cells instead "
     "of failing."),
    ("2.70", ('servers/os-volume_attachments', 'servers/os-interface'),
     "'tag' returned by os-volume_attachments (list/show/attach) and "
     "os-interface (list/show/attach)."),
    ("2.71", ('servers', 'servers/action:rebuild'),
     "'server_groups' (list of group uuids) in GET /servers/{id}, PUT "
     "/servers/{id} and rebuild responses."),
    ("2.72", ("servers",),
     "POST /servers accepts neutron ports with a resource_request (QoS "
     "minimum bandwidth); was 400."),
    ("2.73", ('servers', 'servers/action:lock', 'servers/action:rebuild'),
     "lock action accepts 'locked_reason'; 'locked_reason' in server "
     "show/detail/update/rebuild; 'locked' filter and sort key on GET "
     "/servers(/detail)."),
    ("2.74", ("servers",),
     "POST /servers accepts 'host' and/or 'hypervisor_hostname' (admin, "
     "scheduler validated, exclusive with zone:host:node)."),
    ("2.75", ('servers', 'flavors', 'os-hypervisors', 'os-keypairs', 'servers/action:rebuild', 'limits', 'os-quota-sets', 'os-server-groups'),
     "Servers, limits, quota sets and server groups reject unknown query "
     "params (400); PUT/rebuild return the full server like GET; flavor "
     "'swap' default 0 not ''; hypervisor 'servers' always returned."),
    ("2.76", ("os-server-external-events",),
     "os-server-external-events accepts name 'power-update' (tag 'POWER_ON' "
     "or 'POWER_OFF')."),
    ("2.77", ('servers/action:unshelve',),
     "unshelve action accepts {'unshelve': {'availability_zone': name}} for "
     "shelved-offloaded servers."),
    ("2.78", ('servers/topology',),
     "New GET /servers/{id}/topology: NUMA nodes (cpu_pinning, vcpu_set, "
     "siblings, memory_mb, host_node) and pagesize_kb."),
    ("2.79", ('servers/os-volume_attachments',),
     "'delete_on_termination' accepted on POST os-volume_attachments and "
     "returned by attachment create/list/show."),
    ("2.80", ('os-migrations', 'servers/migrations'),
     "GET /os-migrations accepts user_id and project_id filters; "
     "os-migrations and /servers/{id}/migrations responses include user_id "
     "and project_id."),
    ("2.81", ("os-aggregates",),
     "New POST /os-aggregates/{id}/images {cache: [{id: image_id}]} -> 202 "
     "to pre-cache images on the aggregate's hosts."),
    ("2.82", ("os-server-external-events",),
     "os-server-external-events accepts name 'accelerator-request-bound' "
     "(tag = ARQ uuid)."),
    ("2.83", ("servers",),
     "Non-admins may filter GET /servers(/detail) by availability_zone, "
     "config_drive, key_name, created_at, launched_at, terminated_at, "
     "power_state, task_state, vm_state, progress, user_id."),
    ("2.84", ('servers/os-instance-actions',),
     "Instance action events in GET .../os-instance-actions/{req_id} include "
     "'details' (fault message of a failed event)."),
    ("2.85", ('servers/os-volume_attachments',),
     "PUT /servers/{id}/os-volume_attachments/{volume_id} accepts "
     "'delete_on_termination' (besides volumeId swap)."),
    ("2.86", ("flavors",),
     "POST /flavors/{id}/os-extra_specs and PUT .../os-extra_specs/{key} "
     "validate known namespaces (hw, hw_rng, hw_video, os, resources, trait, "
     "...); unknown keys in them -> 400."),
    ("2.87", ('servers/action:rescue',),
     "rescue action supports boot-from-volume servers on hosts reporting "
     "COMPUTE_RESCUE_BFV (was 400)."),
    ("2.88", ("os-hypervisors",),
     "Hypervisor detail/show drop vcpus(_used), memory_mb(_used), "
     "free_ram_mb, local_gb(_used), free_disk_gb, disk_available_least, "
     "running_vms, current_workload, cpu_info, add uptime; /statistics and "
     "/{id}/uptime 404."),
    ("2.89", ('servers/os-volume_attachments',),
     "os-volume_attachments list/show add 'attachment_id' and 'bdm_uuid' and "
     "drop 'id'."),
    ("2.90", ('servers', 'servers/action:rebuild'),
     "'hostname' accepted on create, update and rebuild; "
     "OS-EXT-SRV-ATTR:hostname returned to all users (was admin only)."),
    ("2.91", ('servers/action:unshelve',),
     "unshelve action accepts 'host' (admin) and 'availability_zone' (null "
     "unpins the server from its AZ)."),
    ("2.92", ("os-keypairs",),
     "POST /os-keypairs requires 'public_key' (no server-side generation); "
     "names may also contain '@' and '.'."),
    ("2.93", ('servers/action:rebuild', 'os-server-external-events'),
     "rebuild action supported for volume-backed servers (root volume is "
     "re-imaged); was 400. os-server-external-events accepts name "
     "'volume-reimaged' (Cinder's answer to that re-imaging)."),
    ("2.94", ('servers', 'servers/action:rebuild'),
     "'hostname' on create/update/rebuild may be an FQDN (up to 255 chars)."),
    ("2.95", ('servers/action:evacuate',),
     "evacuate action: the evacuated server ends STOPPED at the destination "
     "(earlier versions keep its previous power state)."),
    ("2.96", ('servers', 'servers/action:rebuild'),
     "'pinned_availability_zone' returned in GET /servers/detail, "
     "/servers/{id}, PUT /servers/{id} and rebuild responses."),
    ("2.97", ('servers/shares',),
     "Manila shares: POST /servers/{id}/shares {share:{share_id, tag}} -> "
     "201, GET .../shares(/{share_id}) (share_id, status, tag; admin: uuid, "
     "export_location), DELETE -> 200."),
    ("2.98", ('servers', 'servers/action:rebuild'),
     "Server 'image' object gains 'properties' (image metadata) in show, "
     "detail, update and rebuild responses."),
    ("2.99", ('servers/remote-consoles', 'os-console-auth-tokens'),
     "remote-consoles accepts type 'spice-direct' (spice); GET "
     "/os-console-auth-tokens/{token} returns 'tls_port' and rejects unknown "
     "query parameters."),
    ("2.100", ('servers', 'servers/action:rebuild'),
     "'scheduler_hints' (as given at create) returned in GET /servers/detail, "
     "/servers/{id}, PUT /servers/{id} and rebuild responses."),
    ("2.101", ('servers/os-volume_attachments',),
     "POST /servers/{id}/os-volume_attachments is asynchronous: returns 202 "
     "with no body instead of 200 with volumeAttachment."),
    ("2.102", ("servers", "flavors", "limits", "extensions", "os-keypairs",
               "os-aggregates", "os-assisted-volume-snapshots",
               "os-availability-zone", "os-console-auth-tokens",
               "os-hypervisors", "os-instance_usage_audit_log",
               "os-migrations", "os-quota-class-sets", "os-quota-sets",
               "os-server-external-events", "os-server-groups",
               "os-services", "os-simple-tenant-usage",
               "servers/diagnostics", "servers/migrations",
               "servers/os-security-groups"),
     "Unknown query parameters are rejected with 400 on every API that "
     "declares a query schema (until now only the servers APIs, from 2.75, "
     "and a few others rejected them). Flavors: GET /flavors(/detail) "
     "takes a 'name' filter (a regular expression searched in the name); "
     "'rxtx_factor' and 'OS-FLV-DISABLED:disabled' leave every flavor "
     "view; 'rxtx_factor' is no longer accepted by POST /flavors nor as "
     "a sort_key."),
    ("2.103", ('os-volumes_boot',),
     "/os-volumes_boot (an undocumented alias of /servers) is removed: "
     "404 for every request."),
    ("2.104", ("servers",),
     "PUT /servers/{id} accepts 'pinned_availability_zone': null unpins the "
     "server, the AZ it currently resides in re-pins it; any other AZ is "
     "rejected."),
]
