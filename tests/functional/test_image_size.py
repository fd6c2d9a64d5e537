"""Image sizes of 4 GiB and more (migration 0008: ``images.size`` is a
64-bit column) on SQLite, MariaDB and PostgreSQL, read back through
/v2.1/images as upstream shows them (``OS-EXT-IMG-SIZE:size``)."""

import datetime

import pytest
import sqlalchemy

from tests.helpers import ADMIN, add_image, sync_db, write_noauth_config

BIG = 5 * 1024 ** 3 + 12345  # 5 GiB and a bit: past 2**32 and 2**31


@pytest.mark.db
def test_image_over_4_gib(config_dir, db_url):
    write_noauth_config(config_dir, db_url)
    # A database made before 0008 keeps its images through the upgrade.
    sync_db(db_url, revision="0004")
    small = "00000000-0000-4000-8000-000000000001"
    engine = sqlalchemy.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(
                "INSERT INTO images (id, name, status, visibility, min_disk,"
                " min_ram, size, disk_format, container_format, properties,"
                " created_at) VALUES (:id, 'small', 'active', 'public', 0, 0,"
                " 1024, 'qcow2', 'bare', '{}', :now)"),
                {"id": small, "now": datetime.datetime(2026, 1, 1)})
    finally:
        engine.dispose()
    sync_db(db_url)
    big = add_image(config_dir, "big", size=BIG)
    app = config_dir.testapp()
    resp = app.get(f"/v2.1/images/{big}", headers=ADMIN)
    assert resp.json["image"]["OS-EXT-IMG-SIZE:size"] == BIG
    sizes = {i["name"]: i["OS-EXT-IMG-SIZE:size"] for i in
             app.get("/v2.1/images/detail", headers=ADMIN).json["images"]}
    assert sizes == {"small": 1024, "big": BIG}
    assert app.get(f"/v2.1/images/{small}", headers=ADMIN).json[
        "image"]["OS-EXT-IMG-SIZE:size"] == 1024
