"""The tables of the store, in SQLAlchemy Core. Change them only together
with a migration.

Core only, so that what needs no ORM (the metadata API, the health check)
imports no ORM: ``nova.db.models`` maps its classes onto these tables, and
``models.Base.metadata`` is ``metadata`` here (Alembic compares it with
the migrations in a test).
"""

from __future__ import annotations

import datetime
import sys
import uuid as uuid_lib
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

if TYPE_CHECKING:
    from typing import Any

    from sqlalchemy.engine import Dialect
    from sqlalchemy.types import TypeEngine


class _PreciseDateTime(TypeDecorator):
    """DATETIME with microseconds on MariaDB too (its DATETIME keeps whole
    seconds otherwise): servers are sorted and filtered by these.

    What ``DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql",
    "mariadb")`` declares, without importing the MySQL dialect in every
    process: it is imported only where the engine is MySQL's, which has
    already imported it.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            from sqlalchemy.dialects.mysql import DATETIME

            return dialect.type_descriptor(DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())


PreciseDateTime = _PreciseDateTime()


def utcnow() -> datetime.datetime:
    """The time now in UTC, naive (as stored)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


if sys.version_info < (3, 12):
    # The same value for a fifth of the cost; deprecated from 3.12 on.
    utcnow = datetime.datetime.utcnow  # noqa: F811


def _new_uuid():
    return str(uuid_lib.uuid4())


metadata = MetaData()


flavors = Table(
    "flavors", metadata,
    Column("id", Integer, primary_key=True),
    Column("flavorid", String(255), nullable=False, unique=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("memory_mb", Integer, nullable=False),
    Column("vcpus", Integer, nullable=False),
    Column("root_gb", Integer, nullable=False, default=0),
    Column("ephemeral_gb", Integer, nullable=False, default=0),
    Column("swap", Integer, nullable=False, default=0),
    Column("rxtx_factor", Float, nullable=False, default=1.0),
    Column("vcpu_weight", Integer, nullable=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("is_public", Boolean, nullable=False, default=True),
    Column("description", Text, nullable=True),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Column("updated_at", DateTime, nullable=True, onupdate=utcnow),
)


flavor_extra_specs = Table(
    "flavor_extra_specs", metadata,
    Column("id", Integer, primary_key=True),
    Column("flavor_id", ForeignKey("flavors.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("key", String(255), nullable=False),
    Column("value", String(255), nullable=False),
    UniqueConstraint("flavor_id", "key"),
)


flavor_projects = Table(
    "flavor_projects", metadata,
    Column("id", Integer, primary_key=True),
    Column("flavor_id", ForeignKey("flavors.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("project_id", String(255), nullable=False),
    UniqueConstraint("flavor_id", "project_id"),
)


key_pairs = Table(
    "key_pairs", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("user_id", String(255), nullable=False, index=True),
    Column("fingerprint", String(255), nullable=False),
    Column("public_key", Text, nullable=False),
    Column("type", String(16), nullable=False, default="ssh"),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    UniqueConstraint("user_id", "name"),
)


# The local image catalogue (managed with ``nova-manage image``).
images = Table(
    "images", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("status", String(32), nullable=False, default="active"),
    Column("visibility", String(16), nullable=False, default="public"),
    Column("owner", String(255), nullable=True),
    Column("min_disk", Integer, nullable=False, default=0),
    Column("min_ram", Integer, nullable=False, default=0),
    Column("size", BigInteger, nullable=False, default=0),
    Column("disk_format", String(32), nullable=False, default="qcow2"),
    Column("container_format", String(32), nullable=False, default="bare"),
    # size: bytes. properties: JSON.
    Column("properties", Text, nullable=False, default="{}"),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Column("updated_at", DateTime, nullable=True, onupdate=utcnow),
)


# A host of the built-in driver, with what is allocated on it.
compute_hosts = Table(
    "compute_hosts", metadata,
    Column("id", Integer, primary_key=True),
    Column("host", String(255), nullable=False, unique=True),
    Column("availability_zone", String(255), nullable=False),
    Column("vcpus", Integer, nullable=False),
    Column("memory_mb", Integer, nullable=False),
    Column("local_gb", Integer, nullable=False),
    Column("vcpus_used", Integer, nullable=False, default=0),
    Column("memory_mb_used", Integer, nullable=False, default=0),
    Column("local_gb_used", Integer, nullable=False, default=0),
    Column("running_vms", Integer, nullable=False, default=0),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("disabled_reason", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Column("updated_at", DateTime, nullable=True, onupdate=utcnow),
    # The admin views (0007): the host's nova-compute service id from 2.53,
    # its hypervisor's id from 2.53, forced down (2.11), and deleted
    # through DELETE /os-services (0, or the row's id once deleted).
    Column("uuid", String(36), nullable=False, default=_new_uuid, unique=True),
    Column("node_uuid", String(36),
           nullable=False, default=_new_uuid, unique=True),
    Column("forced_down", Boolean, nullable=False, default=False),
    Column("deleted", Integer, nullable=False, default=0),
    Column("deleted_at", DateTime, nullable=True),
)


# -- host aggregates (0007) ---------------------------------------------------

# A host aggregate; its availability_zone metadata key puts its hosts in
# that zone.
aggregates = Table(
    "aggregates", metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, default=_new_uuid, unique=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("created_at", PreciseDateTime, nullable=False, default=utcnow),
    Column("updated_at", PreciseDateTime, nullable=True),
)


aggregate_hosts = Table(
    "aggregate_hosts", metadata,
    Column("id", Integer, primary_key=True),
    Column("aggregate_id", ForeignKey("aggregates.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("host", String(255), nullable=False, index=True),
    UniqueConstraint("aggregate_id", "host"),
)


aggregate_metadata = Table(
    "aggregate_metadata", metadata,
    Column("id", Integer, primary_key=True),
    Column("aggregate_id", ForeignKey("aggregates.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("key", String(255), nullable=False),
    Column("value", String(255), nullable=False),
    UniqueConstraint("aggregate_id", "key"),
    Index("ix_aggregate_metadata_key", "key"),
)


# What actions that change only a server's state write (a reboot, a pause,
# a lock): the compute API re-renders just the fields they show.
STATE_COLUMNS = frozenset((
    "vm_state", "task_state", "power_state", "task_deadline",
    "next_vm_state", "next_power_state", "updated_at", "locked",
    "locked_by", "locked_reason"))

instances = Table(
    "instances", metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("project_id", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("display_description", Text, nullable=True),
    Column("hostname", String(255), nullable=False),
    Column("image_ref", String(36), nullable=False, default=""),
    # JSON snapshot of the flavor at boot.
    Column("flavor", Text, nullable=False),
    Column("flavorid", String(255), nullable=False),
    Column("vcpus", Integer, nullable=False),
    Column("memory_mb", Integer, nullable=False),
    Column("root_gb", Integer, nullable=False),
    Column("ephemeral_gb", Integer, nullable=False),
    Column("key_name", String(255), nullable=True),
    Column("key_data", Text, nullable=True),
    Column("key_type", String(16), nullable=True),
    Column("user_data", Text, nullable=True),
    Column("availability_zone", String(255), nullable=True),
    Column("host", String(255), nullable=True),
    Column("vm_state", String(32), nullable=False),
    Column("task_state", String(32), nullable=True),
    Column("power_state", Integer, nullable=False, default=0),
    # The built-in driver's pending transition: at task_deadline the server
    # reaches next_vm_state/next_power_state and task_state clears.
    Column("task_deadline", PreciseDateTime, nullable=True),
    Column("next_vm_state", String(32), nullable=True),
    Column("next_power_state", Integer, nullable=True),
    Column("locked", Boolean, nullable=False, default=False),
    Column("locked_by", String(16), nullable=True),
    Column("locked_reason", String(255), nullable=True),
    Column("config_drive", String(16), nullable=False, default=""),
    Column("access_ip_v4", String(39), nullable=True),
    Column("access_ip_v6", String(39), nullable=True),
    Column("launch_index", Integer, nullable=False, default=0),
    Column("reservation_id", String(255), nullable=False),
    Column("security_groups", Text, nullable=False, default='["default"]'),
    Column("scheduler_hints", Text, nullable=False, default="{}"),
    Column("trusted_certs", Text, nullable=True),
    Column("pinned_availability_zone", String(255), nullable=True),
    Column("admin_password", Text, nullable=True),
    # What the guest POSTed to the metadata API's password
    # (os-server-password).
    Column("password", Text, nullable=True),
    Column("launched_at", PreciseDateTime, nullable=True),
    Column("terminated_at", PreciseDateTime, nullable=True),
    Column("created_at", PreciseDateTime, nullable=False, default=utcnow),
    Column("updated_at", PreciseDateTime, nullable=True),
    Column("deleted_at", PreciseDateTime, nullable=True),
    Column("deleted", Integer, nullable=False, default=0),
    # Moves on every change of the row (SQLAlchemy's version counter, see
    # nova.db.models.Instance): the metadata API's cache is keyed by it.
    Column("revision", Integer, nullable=False, default=0, server_default="0"),
    # -- 0006 (server actions) --
    # The flavor before a resize (JSON, with the vm_state to go back to),
    # kept until it is confirmed or reverted.
    Column("old_flavor", Text, nullable=True),
    # A second, later transition (after the one of task_deadline): the
    # automatic resize confirmation, a delayed shelve offload, the reclaim
    # of a soft-deleted server (then_vm_state None: nothing shown).
    Column("then_deadline", PreciseDateTime, nullable=True, index=True),
    Column("then_vm_state", String(32), nullable=True),
    Column("then_power_state", Integer, nullable=True),
    # -- 0009 --
    # The revision of the last change to anything the compute API's view
    # of the server shows, except the columns of STATE_COLUMNS (the ones
    # state-only actions change): a view rendered at this revision is still
    # right but for those fields. Every writer moves both by
    # nova.db.revisions.moved.
    Column("view_revision", Integer, nullable=False, default=0,
           server_default="0"),
    # -- 0013 --
    # The disk config extension (OS-DCF:diskConfig): AUTO when true.
    Column("auto_disk_config", Boolean, nullable=False, default=False,
           server_default="0"),
    Index("ix_instances_project_created", "project_id", "deleted",
          "created_at", "id"),
    Index("ix_instances_deleted_created", "deleted", "created_at", "id"),
    Index("ix_instances_task_deadline", "task_deadline"),
    Index("ix_instances_updated", "updated_at"),
)


instance_metadata = Table(
    "instance_metadata", metadata,
    Column("id", Integer, primary_key=True),
    Column("instance_uuid", ForeignKey("instances.uuid", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("key", String(255), nullable=False),
    Column("value", String(255), nullable=False),
    UniqueConstraint("instance_uuid", "key"),
)


instance_tags = Table(
    "instance_tags", metadata,
    Column("instance_uuid", ForeignKey("instances.uuid", ondelete="CASCADE"),
           primary_key=True),
    Column("tag", String(80), primary_key=True),
    Index("ix_instance_tags_tag", "tag"),
)


# An address of the built-in flat network, held by one server.
fixed_ips = Table(
    "fixed_ips", metadata,
    Column("id", Integer, primary_key=True),
    Column("network", String(255), nullable=False),
    Column("address", String(39), nullable=False, unique=True),
    Column("mac_address", String(17), nullable=False, unique=True),
    Column("instance_uuid", ForeignKey("instances.uuid", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("created_at", DateTime, nullable=False, default=utcnow),
)


instance_faults = Table(
    "instance_faults", metadata,
    Column("id", Integer, primary_key=True),
    Column("instance_uuid", ForeignKey("instances.uuid", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("code", Integer, nullable=False),
    Column("message", String(255), nullable=False),
    Column("details", Text, nullable=True),
    Column("created_at", DateTime, nullable=False, default=utcnow),
)


# -- quotas and server groups (migration 0005) --------------------------------

# A limit set through os-quota-sets: a project's (user_id "") or one user's
# within a project.
quotas = Table(
    "quotas", metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", String(255), nullable=False),
    Column("user_id", String(255), nullable=False, default=""),
    Column("resource", String(64), nullable=False),
    Column("hard_limit", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Column("updated_at", DateTime, nullable=True, onupdate=utcnow),
    UniqueConstraint("project_id", "user_id", "resource"),
)


# A limit of a quota class (os-quota-class-sets); the class "default"
# overrides the [quota] options.
quota_classes = Table(
    "quota_classes", metadata,
    Column("id", Integer, primary_key=True),
    Column("class_name", String(255), nullable=False),
    Column("resource", String(64), nullable=False),
    Column("hard_limit", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Column("updated_at", DateTime, nullable=True, onupdate=utcnow),
    UniqueConstraint("class_name", "resource"),
)


# One row per project (or user, or server group) whose usage is being
# checked: a transaction that consumes quota upserts it first and so holds
# its row lock until it commits (see nova.compute.quotas).
quota_locks = Table(
    "quota_locks", metadata,
    Column("kind", String(16), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("generation", Integer, nullable=False, default=0),
)


# A server group (os-server-groups).
instance_groups = Table(
    "instance_groups", metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("project_id", String(255), nullable=False, index=True),
    Column("user_id", String(255), nullable=False),
    Column("policy", String(32), nullable=False),
    # JSON.
    Column("rules", Text, nullable=False, default="{}"),
    Column("created_at", DateTime, nullable=False, default=utcnow),
)


instance_group_members = Table(
    "instance_group_members", metadata,
    Column("id", Integer, primary_key=True),
    Column("group_id", ForeignKey("instance_groups.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("instance_uuid", String(36), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    UniqueConstraint("group_id", "instance_uuid"),
)


# -- server actions (migration 0006) ------------------------------------------
# Columns 0006 adds to instances are declared with the others above:
# old_flavor, then_deadline, then_vm_state, then_power_state.

# One user-visible action on a server (os-instance-actions).
instance_actions = Table(
    "instance_actions", metadata,
    Column("id", Integer, primary_key=True),
    Column("action", String(255), nullable=False),
    Column("instance_uuid", String(36), nullable=False),
    Column("request_id", String(255), nullable=False),
    Column("user_id", String(255), nullable=True),
    Column("project_id", String(255), nullable=True),
    Column("start_time", PreciseDateTime, nullable=False),
    # When the last event finishes (lazily: may lie in the future).
    Column("finish_time", PreciseDateTime, nullable=True),
    Column("message", String(255), nullable=True),
    Column("created_at", PreciseDateTime, nullable=False, default=utcnow),
    Column("updated_at", PreciseDateTime, nullable=True),
    Index("ix_instance_actions_instance_created", "instance_uuid",
          "created_at", "id"),
    Index("ix_instance_actions_request", "instance_uuid", "request_id"),
)


instance_actions_events = Table(
    "instance_actions_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("action_id", ForeignKey("instance_actions.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("event", String(255), nullable=False),
    Column("start_time", PreciseDateTime, nullable=False),
    # finish_time/result are shown only once finish_time has passed.
    Column("finish_time", PreciseDateTime, nullable=True),
    Column("result", String(255), nullable=True),
    Column("traceback", Text, nullable=True),
    Column("details", Text, nullable=True),
    Column("host", String(255), nullable=True),
)


# A resize (os-migrations).
migrations = Table(
    "migrations", metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("instance_uuid", String(36), nullable=False),
    Column("source_compute", String(255), nullable=True),
    Column("dest_compute", String(255), nullable=True),
    Column("old_instance_type_id", Integer, nullable=True),
    Column("new_instance_type_id", Integer, nullable=True),
    # pre-migrating .. finished, confirmed, reverted, error; "finished" is
    # shown as "migrating" before finish_at and "confirmed" after confirm_at.
    Column("status", String(32), nullable=False),
    Column("migration_type", String(32), nullable=False, default="resize"),
    Column("finish_at", PreciseDateTime, nullable=True),
    Column("confirm_at", PreciseDateTime, nullable=True),
    Column("user_id", String(255), nullable=True),
    Column("project_id", String(255), nullable=True),
    Column("created_at", PreciseDateTime, nullable=False, default=utcnow),
    Column("updated_at", PreciseDateTime, nullable=True),
    Index("ix_migrations_instance", "instance_uuid"),
    Index("ix_migrations_updated", "updated_at", "id"),
)


# -- remote consoles (migration 0010) -----------------------------------------

# A console token the compute API issued: only its SHA-256 is kept (the
# token is in the URL given to the client, nowhere else), with the target
# a console proxy connects to and the Unix time it expires at.
console_auth_tokens = Table(
    "console_auth_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(255), nullable=False, unique=True),
    Column("console_type", String(255), nullable=False),
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("tls_port", Integer, nullable=True),
    Column("internal_access_path", String(255), nullable=True),
    Column("instance_uuid", ForeignKey("instances.uuid", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("expires", Integer, nullable=False, index=True),
    Column("created_at", DateTime, nullable=False, default=utcnow),
)


# -- Neutron's ports (migration 0011) -----------------------------------------

# The network info cache of a server whose ports are Neutron's: one row
# per address (fixed or floating) of each port, as Neutron last told, so
# that views never call Neutron. ``network`` is the network's name (the
# key of ``addresses``), as in ``fixed_ips``; ``created`` is whether this
# API created the port (deleted with the server) or the caller passed it
# in (unbound); ``port_state`` is the port's status when last read.
instance_ports = Table(
    "instance_ports", metadata,
    Column("id", Integer, primary_key=True),
    Column("instance_uuid", ForeignKey("instances.uuid", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("port_id", String(36), nullable=False, index=True),
    Column("network_id", String(36), nullable=False),
    Column("network", String(255), nullable=False),
    Column("mac_address", String(17), nullable=False),
    Column("address", String(39), nullable=True),
    Column("subnet_id", String(36), nullable=True),
    Column("ip_type", String(16), nullable=False, default="fixed"),
    Column("created", Boolean, nullable=False, default=False),
    Column("port_state", String(36), nullable=True),
    Column("position", Integer, nullable=False, default=0),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    # JSON: the network's MTU, the VIF type and the subnet of a fixed
    # address (for network_data.json), as Neutron last told.
    Column("details", Text, nullable=True),
)
