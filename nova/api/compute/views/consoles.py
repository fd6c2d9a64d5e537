"""Remote consoles and console auth tokens as JSON, by microversion."""


def legacy(console_type, url):
    """What the os-get*Console actions answer (until 2.5)."""
    return {"console": {"type": console_type, "url": url}}


def remote_console(protocol, console_type, url):
    """What POST /servers/{id}/remote-consoles answers (2.6+)."""
    return {"remote_console": {"protocol": protocol, "type": console_type,
                               "url": url}}


def connect_info(token, with_tls_port):
    """GET /os-console-auth-tokens/{token}: where the proxy connects;
    ``tls_port`` from 2.99, for spice-direct consoles only (upstream)."""
    console = {"instance_uuid": token.instance_uuid, "host": token.host,
               "port": token.port,
               "internal_access_path": token.internal_access_path}
    if with_tls_port and token.console_type == "spice-direct":
        console["tls_port"] = token.tls_port
    return {"console": console}
