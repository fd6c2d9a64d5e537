"""The demo cloud's flavors and images (``nova-manage demo seed``).

What DevStack leaves in a new cloud, so that a first ``server create``
needs nothing else: its flavors ``m1.tiny`` ... ``m1.xlarge`` (ids 1-5)
and the two tempest runs on (``m1.nano`` 42, ``m1.micro`` 84), and two
images in the local catalogue with the properties Glance would show for
them (nothing is downloaded: the catalogue holds no image data).

Seeding adds what is missing and never changes or deletes anything: an
item is matched by its id; one that is there is kept as it is; one whose
name another id holds is skipped (two flavors cannot share a name, and two
images of one name make ``--image NAME`` ambiguous). A database that has
flavors or images but none of the demo images (an existing cloud, not a
demo) is left alone unless forced.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova.compute import flavors, images
from nova.db.models import Flavor, Image

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclasses.dataclass(frozen=True)
class SeedFlavor:
    flavorid: str
    name: str
    memory_mb: int
    vcpus: int
    root_gb: int


@dataclasses.dataclass(frozen=True)
class SeedImage:
    id: str
    name: str
    size: int
    min_disk: int
    min_ram: int
    properties: dict[str, str]


FLAVORS = (
    # DevStack's lib/nova (create_flavors).
    SeedFlavor("1", "m1.tiny", 512, 1, 1),
    SeedFlavor("2", "m1.small", 2048, 1, 20),
    SeedFlavor("3", "m1.medium", 4096, 2, 40),
    SeedFlavor("4", "m1.large", 8192, 4, 80),
    SeedFlavor("5", "m1.xlarge", 16384, 8, 160),
    # DevStack's lib/tempest: tempest's flavor_ref and flavor_ref_alt.
    SeedFlavor("42", "m1.nano", 192, 1, 1),
    SeedFlavor("84", "m1.micro", 256, 1, 1),
)
# DevStack gives each of its flavors this extra spec.
FLAVOR_EXTRA_SPECS = {"hw_rng:allowed": "True"}

IMAGES = (
    # CirrOS 0.6.3, DevStack's image: the published qcow2 is 21,692,416
    # bytes, 112 MiB virtual (any flavor's disk holds it).
    SeedImage("d5a86f6b-384f-474a-9479-606996590522", "cirros", 21692416,
              0, 0, {"architecture": "x86_64", "os_distro": "cirros",
                     "os_version": "0.6.3", "os_type": "linux",
                     "hw_rng_model": "virtio"}),
    # An Ubuntu cloud image (about 600 MB, 3.5 GiB virtual): its
    # min_disk and min_ram refuse the smallest flavors, as Glance's
    # would (m1.small is the first to fit).
    SeedImage("5d38f66a-9408-4bf2-af42-0a1bc3a59c61", "ubuntu-24.04",
              629145600, 4, 512,
              {"architecture": "x86_64", "os_distro": "ubuntu",
               "os_version": "24.04", "os_type": "linux",
               "os_admin_user": "ubuntu", "hw_disk_bus": "virtio",
               "hw_vif_model": "virtio", "hw_machine_type": "q35",
               "hw_rng_model": "virtio"}),
)

SEED_IMAGE_IDS = frozenset(image.id for image in IMAGES)


@dataclasses.dataclass(frozen=True)
class Outcome:
    kind: str  # "flavor" or "image"
    name: str
    id: str
    result: str  # "created", "kept" or "skipped"
    why: str = ""


def existing_cloud(session: Session) -> tuple[int, int] | None:
    """(flavors, images) of a database that is no demo: it has some but
    none of the seed's images (their ids are the seed's own). None for an
    empty database or one seeded before."""
    image_ids = set(session.execute(sa.select(Image.id)).scalars())
    if image_ids & SEED_IMAGE_IDS:
        return None
    flavor_count = session.execute(
        sa.select(sa.func.count()).select_from(Flavor)).scalar_one()
    if flavor_count or image_ids:
        return flavor_count, len(image_ids)
    return None


def seed(session: Session) -> list[Outcome]:
    """Add the missing flavors and images; say what happened to each."""
    done = [_flavor(session, item) for item in FLAVORS]
    done += [_image(session, item) for item in IMAGES]
    return done


def _flavor(session, item):
    by_id = session.execute(sa.select(Flavor.name).where(
        Flavor.flavorid == item.flavorid)).scalar()
    if by_id is not None:
        why = "" if by_id == item.name else f"as {by_id!r}"
        return Outcome("flavor", item.name, item.flavorid, "kept", why)
    other = session.execute(sa.select(Flavor.flavorid).where(
        Flavor.name == item.name)).scalar()
    if other is not None:
        return Outcome("flavor", item.name, item.flavorid, "skipped",
                       f"flavor {other} has the name")
    flavor = flavors.create(
        session, name=item.name, flavorid=item.flavorid,
        memory_mb=item.memory_mb, vcpus=item.vcpus, root_gb=item.root_gb)
    flavors.set_extra_specs(session, flavor, FLAVOR_EXTRA_SPECS)
    return Outcome("flavor", item.name, item.flavorid, "created")


def _image(session, item):
    if images.exists(session, item.id):
        return Outcome("image", item.name, item.id, "kept")
    other = session.execute(sa.select(Image.id).where(
        Image.name == item.name)).scalar()
    if other is not None:
        return Outcome("image", item.name, item.id, "skipped",
                       f"image {other} has the name")
    images.create(session, name=item.name, image_id=item.id,
                  visibility="public", min_disk=item.min_disk,
                  min_ram=item.min_ram, size=item.size,
                  disk_format="qcow2", container_format="bare",
                  properties=item.properties)
    return Outcome("image", item.name, item.id, "created")
