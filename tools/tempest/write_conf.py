#!/usr/bin/env python3
"""Write the tempest.conf of tools/tempest.sh (stdlib only).

    write_conf.py OUT --workspace DIR --keystone-url URL
        --admin-password PW --image-ref UUID --image-ref-alt UUID
        --max-microversion X.Y [--build-timeout S] [--network-id UUID]
        [--filters 'A, B'] [--services glance,neutron]
        [--network-extensions ALIAS,...] [--set SECTION.OPT=VALUE]

What it describes: a cloud of Keystone and this compute API only (no
Glance, Neutron, Cinder or Swift: their tests skip with tempest's own
reasons), two compute hosts, Nova's new policy defaults with scope
enforced, dynamic credentials, and the compute features this project
serves switched on.

With --services (tools/tempest.sh's TEMPEST_SERVICES): real Glance and/or
Neutron beside it (tools/openstack-services.sh). glance: the image tests
on, image import off (no import workers behind that Glance). neutron:
--network-id is Neutron's external network ``public`` (floating IPs),
tempest makes a network, subnet and router per test project
(create_isolated_networks, as devstack), the extensions are Neutron's own
(--network-extensions, from its GET /v2.0/extensions), interface attach
on. Both services enforce scope, as their policy defaults do.
"""

import argparse
import configparser
import os

# [compute-feature-enabled]: on for what the API serves (docs/api-coverage.md,
# "Server actions"), off for what it does not serve or what needs another
# service (their tests skip, with the flag named in the reason).
FEATURES = {
    # served
    "resize": True,                 # resize, confirmResize, revertResize
    "cold_migration": True,         # migrate (admin)
    "change_password": True,        # changePassword
    "pause": True,                  # pause, unpause
    "suspend": True,                # suspend, resume
    "rescue": True,                 # rescue, unrescue
    "shelve": True,                 # shelve, shelveOffload, unshelve
    "console_output": True,         # os-getConsoleOutput
    "snapshot": True,               # createImage (into the local catalogue)
    "disk_config": True,            # OS-DCF:diskConfig
    "enable_instance_password": True,   # adminPass on create
    "personality": True,            # injected files, until 2.56
    "config_drive": True,           # config_drive on create
    "live_migration": True,         # os-migrateLive (admin)
    "vnc_console": True,            # remote-consoles, os-getVNCConsole
    # not served
    "interface_attach": False,      # os-interface attach/detach
    # served, but off in nova.conf by default ([spice], [serial_console]
    # enabled), as upstream; and no console server behind any of them
    "spice_console": False,
    "serial_console": False,
    # need guest access, Glance image properties, Cinder or unified limits
    "metadata_service": False,      # read from inside a guest (validation)
    "stable_rescue": False,         # rescue images with hw_rescue_* in Glance
    "shelve_migrate": False,        # a scenario test with a real guest
    "swap_volume": False,
    "volume_multiattach": False,
    "attach_encrypted_volume": False,
    "unified_limits": False,        # quotas are Nova's own, not Keystone's
}


def build(args):
    ws = args.workspace
    identity = args.keystone_url.rstrip("/")
    conf = {
        "DEFAULT": {
            "debug": "true",
            "log_dir": os.path.join(ws, "logs"),
            "log_file": "tempest.log",
        },
        "oslo_concurrency": {"lock_path": os.path.join(ws, "tempest_lock")},
        "auth": {
            "use_dynamic_credentials": "true",
            # no Neutron: no network, subnet or router per test project
            "create_isolated_networks": "false",
            "admin_username": "admin",
            "admin_password": args.admin_password,
            "admin_project_name": "admin",
            "admin_domain_name": "Default",
            "default_credentials_domain_name": "Default",
        },
        "identity": {
            "uri_v3": identity + "/v3",
            "auth_version": "v3",
            "region": "RegionOne",
            "v3_endpoint_type": "public",
        },
        "identity-feature-enabled": {"api_v2": "false", "api_v3": "true"},
        "compute": {
            "catalog_type": "compute",
            "endpoint_type": "publicURL",
            "region": "RegionOne",
            "flavor_ref": "42",
            "flavor_ref_alt": "84",
            "image_ref": args.image_ref,
            "image_ref_alt": args.image_ref_alt,
            "min_compute_nodes": "2",
            "min_microversion": "2.1",
            "max_microversion": args.max_microversion,
            "build_timeout": str(args.build_timeout),
            "build_interval": "1",
        },
        "compute-feature-enabled": {
            **{name: str(on).lower() for name, on in FEATURES.items()},
            # what [filter_scheduler] enabled_filters of the API lists
            **({"scheduler_enabled_filters": args.filters}
               if args.filters else {})},
        "service_available": {
            "nova": "true", "glance": "false", "neutron": "false",
            "cinder": "false", "swift": "false", "horizon": "false",
        },
        "enforce_scope": {"nova": "true"},
        # no guest to log in to
        "validation": {"run_validation": "false"},
    }
    services = {s.strip() for s in args.services.split(",") if s.strip()}
    unknown = services - {"glance", "neutron"}
    if unknown:
        raise SystemExit(f"write_conf.py: unknown services {unknown}")
    for name in sorted(services):
        conf["service_available"][name] = "true"
        conf["enforce_scope"][name] = "true"
    if "glance" in services:
        # build_timeout: how long tempest waits for an image status. Its
        # default, 300 s, is what ImagesTestJSON.test_delete_saving_image
        # waits for SAVING before it skips: a snapshot here is uploaded
        # within createImage, so it is active before tempest first looks.
        # The same bound as the server waits (TEMPEST_BUILD_TIMEOUT).
        conf["image"] = {"catalog_type": "image", "region": "RegionOne",
                         "endpoint_type": "publicURL",
                         "build_timeout": str(args.build_timeout),
                         "build_interval": "1"}
        # no image import workers (glance-direct, web-download) here
        conf["image-feature-enabled"] = {"import_image": "false"}
    if "neutron" in services:
        # a network, subnet and router per dynamic project (the router's
        # gateway on public_network_id), as devstack's tempest does
        conf["auth"]["create_isolated_networks"] = "true"
        conf["compute-feature-enabled"]["interface_attach"] = "true"
        conf["network"] = {
            "catalog_type": "network", "region": "RegionOne",
            "endpoint_type": "publicURL",
            "public_network_id": args.network_id,
            "floating_network_name": "public"}
        conf["network-feature-enabled"] = {
            "api_extensions": args.network_extensions,
            "port_security": "true"}
    elif args.network_id:
        # The flat network: admin.test_networks finds it by this id. Not
        # [compute] fixed_network_name: without Neutron tempest would look
        # it up through os-networks at each class's microversion (404 from
        # 2.36, upstream too) and fail those classes' set-up.
        conf["network"] = {"public_network_id": args.network_id}
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    for section, options in conf.items():
        if section != "DEFAULT":
            parser.add_section(section)
        for name, value in options.items():
            parser.set(section, name, value)
    for item in args.set:
        key, _eq, value = item.partition("=")
        section, _dot, name = key.strip().rpartition(".")
        if section != "DEFAULT" and not parser.has_section(section):
            parser.add_section(section)
        parser.set(section, name, value.strip())
    return parser


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--workspace", required=True)
    p.add_argument("--keystone-url", required=True)
    p.add_argument("--admin-password", required=True)
    p.add_argument("--image-ref", required=True)
    p.add_argument("--image-ref-alt", required=True)
    p.add_argument("--max-microversion", required=True)
    p.add_argument("--build-timeout", type=int, default=60)
    p.add_argument("--network-id", default="")
    p.add_argument("--filters", default="")
    p.add_argument("--services", default="",
                   help="real services beside the API: glance,neutron")
    p.add_argument("--network-extensions", default="",
                   help="Neutron's extension aliases, comma-separated")
    p.add_argument("--set", action="append", default=[],
                   metavar="SECTION.OPTION=VALUE")
    args = p.parse_args(argv)
    parser = build(args)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("# Written by tools/tempest/write_conf.py for "
                "tools/tempest.sh.\n")
        parser.write(f)


if __name__ == "__main__":
    main()
