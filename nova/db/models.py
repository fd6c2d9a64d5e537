"""The ORM classes of the store, mapped onto ``nova.db.tables``.

The columns are declared there, in SQLAlchemy Core (change them only
together with a migration); each class here has them as attributes.
"""

from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, object_session

from nova.db import revisions, tables

# Re-exported: the domain reads them from here with the classes.
from nova.db.tables import STATE_COLUMNS as STATE_COLUMNS
from nova.db.tables import PreciseDateTime as PreciseDateTime
from nova.db.tables import utcnow as utcnow


class Base(DeclarativeBase):
    metadata = tables.metadata


class Flavor(Base):
    __table__ = tables.flavors


class FlavorExtraSpec(Base):
    __table__ = tables.flavor_extra_specs


class FlavorProject(Base):
    __table__ = tables.flavor_projects


class KeyPair(Base):
    __table__ = tables.key_pairs


class Image(Base):
    """The local image catalogue (managed with ``nova-manage image``)."""

    __table__ = tables.images


class ComputeHost(Base):
    """A host of the built-in driver, with what is allocated on it."""

    __table__ = tables.compute_hosts


class Aggregate(Base):
    """A host aggregate; its ``availability_zone`` metadata key puts its
    hosts in that zone."""

    __table__ = tables.aggregates


class AggregateHost(Base):
    __table__ = tables.aggregate_hosts


class AggregateMetadata(Base):
    __table__ = tables.aggregate_metadata


class Instance(Base):
    __table__ = tables.instances
    # SQLAlchemy's version counter: every ORM update of the row moves it.
    __mapper_args__ = {"version_id_col": tables.instances.c.revision}


@event.listens_for(Instance, "before_update")
def _view_changes(_mapper, _connection, target):
    # The ORM path is the general one: whatever it changes, the view may
    # show, metadata or tags among them (their writers touch the row), so
    # it is never state-only. The version counter makes the new revision
    # the old one + 1, as ``revisions.moved`` gives it; this sets
    # ``view_revision`` by the same function. (Called for objects with no
    # net change too: those are not updated.)
    session = object_session(target)
    if session is None or session.is_modified(target,
                                              include_collections=False):
        target.view_revision = revisions.moved(
            target.revision or 0)["view_revision"]


class InstanceMetadata(Base):
    __table__ = tables.instance_metadata


class InstanceTag(Base):
    __table__ = tables.instance_tags


class FixedIP(Base):
    """An address of the built-in flat network, held by one server."""

    __table__ = tables.fixed_ips


class InstancePort(Base):
    """An address of a Neutron port of a server (the network info cache)."""

    __table__ = tables.instance_ports


class InstanceFault(Base):
    __table__ = tables.instance_faults


class Quota(Base):
    """A limit set through os-quota-sets: a project's (``user_id`` '') or
    one user's within a project."""

    __table__ = tables.quotas


class QuotaClass(Base):
    """A limit of a quota class (os-quota-class-sets); the class
    ``default`` overrides the [quota] options."""

    __table__ = tables.quota_classes


class QuotaLock(Base):
    """One row per project (or user, or server group) whose usage is being
    checked: a transaction that consumes quota upserts it first and so
    holds its row lock until it commits (see nova.compute.quotas)."""

    __table__ = tables.quota_locks


class InstanceGroup(Base):
    """A server group (os-server-groups)."""

    __table__ = tables.instance_groups


class InstanceGroupMember(Base):
    __table__ = tables.instance_group_members


class InstanceAction(Base):
    """One user-visible action on a server (os-instance-actions)."""

    __table__ = tables.instance_actions


class InstanceActionEvent(Base):
    __table__ = tables.instance_actions_events


class Migration(Base):
    """A resize (os-migrations)."""

    __table__ = tables.migrations


class ConsoleAuthToken(Base):
    """A console token issued for a server (its hash, never the token)."""

    __table__ = tables.console_auth_tokens
