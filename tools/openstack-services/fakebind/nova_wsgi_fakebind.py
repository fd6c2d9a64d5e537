"""Test-only ML2 mechanism driver ``fakebind`` (tools/openstack-services.sh).

Neutron without agents cannot bind a port with its own drivers: the
openvswitch driver wants a live OVS agent on the host and answers
``binding_failed``. This driver stands in for the agent. When a port of
VNIC type ``normal`` gets a ``binding:host_id`` (any host), it binds the
first segment offered as ``vif_type = ovs`` and reports the port ACTIVE at
once, which is what an OVS agent does after wiring the tap device. ML2
commits that status, so Neutron tells the compute API
``network-vif-plugged`` through os-server-external-events, as in a real
cloud. Other VNIC types (direct, macvtap, ...) stay unbound.

Never for a real cloud: nothing is wired anywhere.
"""

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api

VIF_DETAILS = {
    portbindings.CAP_PORT_FILTER: True,
    portbindings.OVS_HYBRID_PLUG: False,
    portbindings.VIF_DETAILS_CONNECTIVITY: portbindings.CONNECTIVITY_L2,
}


class FakeBindDriver(api.MechanismDriver):
    """Bind normal ports on any host as OVS, status ACTIVE."""

    def initialize(self):
        """Nothing to set up: no agents, no devices."""

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        port = context.current
        vnic = port.get(portbindings.VNIC_TYPE, portbindings.VNIC_NORMAL)
        if vnic != portbindings.VNIC_NORMAL:
            return
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OVS,
                                dict(VIF_DETAILS),
                                status=constants.PORT_STATUS_ACTIVE)
            return
