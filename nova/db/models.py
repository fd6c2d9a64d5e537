"""Tables of the store. Change them only together with a migration."""

import datetime
import uuid as uuid_lib

from sqlalchemy import (BigInteger, Boolean, DateTime, Float, ForeignKey,
                        Index, Integer, String, Text, TypeDecorator,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            from sqlalchemy.dialects.mysql import DATETIME

            return dialect.type_descriptor(DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())


PreciseDateTime = _PreciseDateTime()


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, onupdate=utcnow, nullable=True)


class Flavor(TimestampMixin, Base):
    __tablename__ = "flavors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavorid: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    memory_mb: Mapped[int] = mapped_column(Integer)
    vcpus: Mapped[int] = mapped_column(Integer)
    root_gb: Mapped[int] = mapped_column(Integer, default=0)
    ephemeral_gb: Mapped[int] = mapped_column(Integer, default=0)
    swap: Mapped[int] = mapped_column(Integer, default=0)
    rxtx_factor: Mapped[float] = mapped_column(Float, default=1.0)
    vcpu_weight: Mapped[int | None] = mapped_column(Integer, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class FlavorExtraSpec(Base):
    __tablename__ = "flavor_extra_specs"
    __table_args__ = (UniqueConstraint("flavor_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavor_id: Mapped[int] = mapped_column(
        ForeignKey("flavors.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))


class FlavorProject(Base):
    __tablename__ = "flavor_projects"
    __table_args__ = (UniqueConstraint("flavor_id", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavor_id: Mapped[int] = mapped_column(
        ForeignKey("flavors.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(String(255))


class KeyPair(Base):
    __tablename__ = "key_pairs"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    fingerprint: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16), default="ssh")
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False)


class Image(Base):
    """The local image catalogue (managed with ``nova-manage image``)."""

    __tablename__ = "images"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), default="active")
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    min_disk: Mapped[int] = mapped_column(Integer, default=0)
    min_ram: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(BigInteger, default=0)  # bytes
    disk_format: Mapped[str] = mapped_column(String(32), default="qcow2")
    container_format: Mapped[str] = mapped_column(String(32), default="bare")
    properties: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, onupdate=utcnow, nullable=True)


class ComputeHost(Base):
    """A host of the built-in driver, with what is allocated on it."""

    __tablename__ = "compute_hosts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    availability_zone: Mapped[str] = mapped_column(String(255))
    vcpus: Mapped[int] = mapped_column(Integer)
    memory_mb: Mapped[int] = mapped_column(Integer)
    local_gb: Mapped[int] = mapped_column(Integer)
    vcpus_used: Mapped[int] = mapped_column(Integer, default=0)
    memory_mb_used: Mapped[int] = mapped_column(Integer, default=0)
    local_gb_used: Mapped[int] = mapped_column(Integer, default=0)
    running_vms: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255),
                                                        nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, onupdate=utcnow, nullable=True)
    # The admin views (0007): the host's nova-compute service id from 2.53,
    # its hypervisor's id from 2.53, forced down (2.11), and deleted
    # through DELETE /os-services (0, or the row's id once deleted).
    uuid: Mapped[str] = mapped_column(
        String(36), unique=True, default=lambda: str(uuid_lib.uuid4()))
    node_uuid: Mapped[str] = mapped_column(
        String(36), unique=True, default=lambda: str(uuid_lib.uuid4()))
    forced_down: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, nullable=True)


# -- host aggregates (0007) ----------------------------------------------------

class Aggregate(Base):
    """A host aggregate; its ``availability_zone`` metadata key puts its
    hosts in that zone."""

    __tablename__ = "aggregates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(
        String(36), unique=True, default=lambda: str(uuid_lib.uuid4()))
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime.datetime] = mapped_column(
        PreciseDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)


class AggregateHost(Base):
    __tablename__ = "aggregate_hosts"
    __table_args__ = (UniqueConstraint("aggregate_id", "host"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    aggregate_id: Mapped[int] = mapped_column(
        ForeignKey("aggregates.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(255), index=True)


class AggregateMetadata(Base):
    __tablename__ = "aggregate_metadata"
    __table_args__ = (UniqueConstraint("aggregate_id", "key"),
                      Index("ix_aggregate_metadata_key", "key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    aggregate_id: Mapped[int] = mapped_column(
        ForeignKey("aggregates.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))


class Instance(Base):
    __tablename__ = "instances"
    __table_args__ = (
        Index("ix_instances_project_created", "project_id", "deleted",
              "created_at", "id"),
        Index("ix_instances_deleted_created", "deleted", "created_at", "id"),
        Index("ix_instances_updated", "updated_at"),
        Index("ix_instances_task_deadline", "task_deadline"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255))
    display_description: Mapped[str | None] = mapped_column(Text,
                                                            nullable=True)
    hostname: Mapped[str] = mapped_column(String(255))
    image_ref: Mapped[str] = mapped_column(String(36), default="")
    flavor: Mapped[str] = mapped_column(Text)  # JSON snapshot at boot
    flavorid: Mapped[str] = mapped_column(String(255))
    vcpus: Mapped[int] = mapped_column(Integer)
    memory_mb: Mapped[int] = mapped_column(Integer)
    root_gb: Mapped[int] = mapped_column(Integer)
    ephemeral_gb: Mapped[int] = mapped_column(Integer)
    key_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    key_data: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    user_data: Mapped[str | None] = mapped_column(Text, nullable=True)
    availability_zone: Mapped[str | None] = mapped_column(String(255),
                                                          nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    vm_state: Mapped[str] = mapped_column(String(32))
    task_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    power_state: Mapped[int] = mapped_column(Integer, default=0)
    # The built-in driver's pending transition: at task_deadline the server
    # reaches next_vm_state/next_power_state and task_state clears.
    task_deadline: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)
    next_vm_state: Mapped[str | None] = mapped_column(String(32),
                                                      nullable=True)
    next_power_state: Mapped[int | None] = mapped_column(Integer,
                                                         nullable=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    locked_reason: Mapped[str | None] = mapped_column(String(255),
                                                      nullable=True)
    config_drive: Mapped[str] = mapped_column(String(16), default="")
    access_ip_v4: Mapped[str | None] = mapped_column(String(39),
                                                     nullable=True)
    access_ip_v6: Mapped[str | None] = mapped_column(String(39),
                                                     nullable=True)
    launch_index: Mapped[int] = mapped_column(Integer, default=0)
    reservation_id: Mapped[str] = mapped_column(String(255))
    security_groups: Mapped[str] = mapped_column(Text, default='["default"]')
    scheduler_hints: Mapped[str] = mapped_column(Text, default="{}")
    trusted_certs: Mapped[str | None] = mapped_column(Text, nullable=True)
    pinned_availability_zone: Mapped[str | None] = mapped_column(
        String(255), nullable=True)
    admin_password: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What the guest POSTed to the metadata API's password (os-server-password).
    password: Mapped[str | None] = mapped_column(Text, nullable=True)
    launched_at: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)
    terminated_at: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(
        PreciseDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    # Moves on every change of the row (SQLAlchemy's version counter): the
    # metadata API's cache is keyed by it.
    revision: Mapped[int] = mapped_column(Integer, default=0,
                                          server_default="0")
    # -- 0006 (server actions) --
    # The flavor before a resize (JSON, with the vm_state to go back to),
    # kept until it is confirmed or reverted.
    old_flavor: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A second, later transition (after the one of task_deadline): the
    # automatic resize confirmation, a delayed shelve offload, the reclaim
    # of a soft-deleted server (then_vm_state None: nothing shown).
    then_deadline: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True, index=True)
    then_vm_state: Mapped[str | None] = mapped_column(String(32),
                                                      nullable=True)
    then_power_state: Mapped[int | None] = mapped_column(Integer,
                                                         nullable=True)

    __mapper_args__ = {"version_id_col": revision}


class InstanceMetadata(Base):
    __tablename__ = "instance_metadata"
    __table_args__ = (UniqueConstraint("instance_uuid", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey("instances.uuid", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))


class InstanceTag(Base):
    __tablename__ = "instance_tags"
    __table_args__ = (Index("ix_instance_tags_tag", "tag"),)

    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(80), primary_key=True)


class FixedIP(Base):
    """An address of the built-in flat network, held by one server."""

    __tablename__ = "fixed_ips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(39), unique=True)
    mac_address: Mapped[str] = mapped_column(String(17), unique=True)
    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey("instances.uuid", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False)


class InstanceFault(Base):
    __tablename__ = "instance_faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey("instances.uuid", ondelete="CASCADE"), index=True)
    code: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False)


# -- quotas and server groups (migration 0005) ---------------------------------

class Quota(Base):
    """A limit set through os-quota-sets: a project's (``user_id`` '') or
    one user's within a project."""

    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("project_id", "user_id", "resource"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255), default="")
    resource: Mapped[str] = mapped_column(String(64))
    hard_limit: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, onupdate=utcnow, nullable=True)


class QuotaClass(Base):
    """A limit of a quota class (os-quota-class-sets); the class
    ``default`` overrides the [quota] options."""

    __tablename__ = "quota_classes"
    __table_args__ = (UniqueConstraint("class_name", "resource"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_name: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(64))
    hard_limit: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, onupdate=utcnow, nullable=True)


class QuotaLock(Base):
    """One row per project (or user, or server group) whose usage is being
    checked: a transaction that consumes quota upserts it first and so
    holds its row lock until it commits (see nova.compute.quotas)."""

    __tablename__ = "quota_locks"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class InstanceGroup(Base):
    """A server group (os-server-groups)."""

    __tablename__ = "instance_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    policy: Mapped[str] = mapped_column(String(32))
    rules: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False)


class InstanceGroupMember(Base):
    __tablename__ = "instance_group_members"
    __table_args__ = (UniqueConstraint("group_id", "instance_uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("instance_groups.id", ondelete="CASCADE"), index=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, nullable=False)

# -- server actions (migration 0006) -------------------------------------------
# Columns 0006 adds to ``instances`` are declared on Instance above:
# old_flavor, then_deadline, then_vm_state, then_power_state.

class InstanceAction(Base):
    """One user-visible action on a server (os-instance-actions)."""

    __tablename__ = "instance_actions"
    __table_args__ = (
        Index("ix_instance_actions_instance_created", "instance_uuid",
              "created_at", "id"),
        Index("ix_instance_actions_request", "instance_uuid", "request_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(255))
    instance_uuid: Mapped[str] = mapped_column(String(36))
    request_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    project_id: Mapped[str | None] = mapped_column(String(255),
                                                   nullable=True)
    start_time: Mapped[datetime.datetime] = mapped_column(PreciseDateTime)
    # When the last event finishes (lazily: may lie in the future).
    finish_time: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)
    message: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(
        PreciseDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)


class InstanceActionEvent(Base):
    __tablename__ = "instance_actions_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("instance_actions.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(255))
    start_time: Mapped[datetime.datetime] = mapped_column(PreciseDateTime)
    # finish_time/result are shown only once finish_time has passed.
    finish_time: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)
    result: Mapped[str | None] = mapped_column(String(255), nullable=True)
    traceback: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)


class Migration(Base):
    """A resize (os-migrations)."""

    __tablename__ = "migrations"
    __table_args__ = (
        Index("ix_migrations_instance", "instance_uuid"),
        Index("ix_migrations_updated", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    instance_uuid: Mapped[str] = mapped_column(String(36))
    source_compute: Mapped[str | None] = mapped_column(String(255),
                                                       nullable=True)
    dest_compute: Mapped[str | None] = mapped_column(String(255),
                                                     nullable=True)
    old_instance_type_id: Mapped[int | None] = mapped_column(Integer,
                                                             nullable=True)
    new_instance_type_id: Mapped[int | None] = mapped_column(Integer,
                                                             nullable=True)
    # pre-migrating .. finished, confirmed, reverted, error; "finished" is
    # shown as "migrating" before finish_at and "confirmed" after confirm_at.
    status: Mapped[str] = mapped_column(String(32))
    migration_type: Mapped[str] = mapped_column(String(32),
                                                default="resize")
    finish_at: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)
    confirm_at: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    project_id: Mapped[str | None] = mapped_column(String(255),
                                                   nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(
        PreciseDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        PreciseDateTime, nullable=True)
