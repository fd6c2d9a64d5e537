"""The metadata API: who is asking, and what it is told.

Option names and groups follow upstream ([api] for vendordata and
dhcp_domain, [neutron] for the proxy secret) so existing nova.conf files
keep working; [metadata] holds what upstream lacks.
"""

from oslo_config import cfg

API_OPTS = [
    cfg.StrOpt("dhcp_domain", default="novalocal",
               help="Domain appended to a server's hostname in the metadata "
                    "(hostname, local-hostname). Empty: the bare hostname."),
    cfg.ListOpt("vendordata_providers", default=["StaticJSON"],
                help="Where vendor data comes from: StaticJSON (the file "
                     "vendordata_jsonfile_path) and/or DynamicJSON (the "
                     "vendordata_dynamic_targets)."),
    cfg.StrOpt("vendordata_jsonfile_path",
               help="JSON file served as vendor_data.json and as 'static' "
                    "in vendor_data2.json."),
    cfg.ListOpt("vendordata_dynamic_targets", default=[],
                help="Dynamic vendor data services, each ``name@url``; each "
                     "is POSTed the server's facts and its JSON answer is "
                     "served under ``name`` in vendor_data2.json."),
    cfg.StrOpt("vendordata_dynamic_ssl_certfile",
               help="CA bundle to verify HTTPS vendor data targets."),
    cfg.IntOpt("vendordata_dynamic_connect_timeout", default=5, min=3,
               help="Seconds to wait for a vendor data target to accept "
                    "the connection."),
    cfg.IntOpt("vendordata_dynamic_read_timeout", default=5, min=0,
               help="Seconds to wait for a vendor data target's answer."),
    cfg.BoolOpt("vendordata_dynamic_failure_fatal", default=False,
                help="A failing target makes vendor_data2.json fail (500) "
                     "instead of serving {} for it with a warning."),
]

NEUTRON_OPTS = [
    cfg.BoolOpt("service_metadata_proxy", default=False,
                help="Requests come through Neutron's metadata proxy, which "
                     "names the instance in X-Instance-ID, X-Tenant-ID and "
                     "X-Instance-ID-Signature. False: the instance is found "
                     "by its fixed IP (the request's source address)."),
    cfg.StrOpt("metadata_proxy_shared_secret", default="", secret=True,
               help="Secret shared with Neutron's metadata proxy, to check "
                    "X-Instance-ID-Signature. Required (non-empty) when "
                    "service_metadata_proxy is true."),
]

METADATA_OPTS = [
    cfg.ListOpt("trusted_proxies", default=[],
                help="Addresses or CIDRs of proxies in front of the metadata "
                     "API whose X-Forwarded-For (or Forwarded: for=) is "
                     "believed in direct mode. A request from any other peer "
                     "is identified by its own address, whatever it "
                     "claims."),
]


def register_opts(conf):
    conf.register_opts(API_OPTS, group="api")
    conf.register_opts(NEUTRON_OPTS, group="neutron")
    conf.register_opts(METADATA_OPTS, group="metadata")


def list_opts():
    return [("api", API_OPTS), ("neutron", NEUTRON_OPTS),
            ("metadata", METADATA_OPTS)]
