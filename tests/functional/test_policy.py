"""Policy: upstream's personas by default, policy.yaml overrides them."""

import pytest

from tests.helpers import ADMIN, DEMO

FLAVOR = {"flavor": {"name": "f1", "ram": 64, "vcpus": 1, "disk": 0}}
MEMBER = DEMO  # a member of project demo, not an admin


def test_defaults_admin_creates_member_does_not(compute):
    compute.post_json("/v2.1/flavors", FLAVOR, headers=MEMBER, status=403)
    compute.post_json("/v2.1/flavors", FLAVOR, headers=ADMIN, status=200)


def test_policy_yaml_in_config_dir_overrides_a_rule(noauth_config):
    noauth_config.write("policy.yaml", """
        "os_compute_api:os-flavor-manage:create": "role:member"
        """)
    app = noauth_config.testapp()
    app.post_json("/v2.1/flavors", FLAVOR, headers=MEMBER, status=200)


def test_policy_yaml_changes_are_picked_up(noauth_config):
    policy = noauth_config.write("policy.yaml", """
        "os_compute_api:os-flavor-manage:create": "role:admin"
        """)
    app = noauth_config.testapp()
    app.post_json("/v2.1/flavors", FLAVOR, headers=MEMBER, status=403)
    policy.write_text('"os_compute_api:os-flavor-manage:create": "@"\n')
    import os
    stat = os.stat(policy)
    os.utime(policy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    app.post_json("/v2.1/flavors", FLAVOR, headers=MEMBER, status=200)


def test_policy_file_option_names_another_file(noauth_config, tmp_path):
    custom = tmp_path / "custom-policy.yaml"
    custom.write_text('"os_compute_api:servers:index": "!"\n')
    noauth_config.write("nova.conf.d/policy.conf",
                        f"[oslo_policy]\npolicy_file = {custom}\n")
    app = noauth_config.testapp()
    resp = app.get("/v2.1/servers", headers=ADMIN, status=403)
    assert resp.json["forbidden"]["message"] == (
        "Policy doesn't allow os_compute_api:servers:index to be performed.")


@pytest.mark.parametrize("headers,status", [
    (MEMBER, 403), (ADMIN, 200)])
def test_all_tenants_needs_admin(compute, headers, status):
    compute.get("/v2.1/servers?all_tenants=1", headers=headers, status=status)


def test_policy_yaml_replaced_by_rename_is_picked_up(noauth_config):
    """Configuration tools replace files atomically (write, then rename):
    a new file of the same size and time is still a new policy."""
    import os

    strict = '"os_compute_api:os-flavor-manage:create": "role:admin"\n'
    loose = '"os_compute_api:os-flavor-manage:create": "@"'
    loose = loose + " " * (len(strict) - len(loose) - 1) + "\n"
    assert len(loose) == len(strict)
    policy = noauth_config.write("policy.yaml", strict)
    app = noauth_config.testapp()
    app.post_json("/v2.1/flavors", FLAVOR, headers=MEMBER, status=403)
    app.post_json("/v2.1/flavors", FLAVOR, headers=MEMBER, status=403)
    stat = os.stat(policy)
    new = policy.with_name("policy.yaml.new")
    new.write_text(loose)
    os.utime(new, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.rename(new, policy)
    app.post_json("/v2.1/flavors", FLAVOR, headers=MEMBER, status=200)


def test_a_comments_only_policy_yaml_keeps_the_defaults(noauth_config):
    noauth_config.write("policy.yaml", "# nothing changed here\n")
    app = noauth_config.testapp()
    for _ in range(2):
        app.post_json("/v2.1/flavors", FLAVOR, headers=MEMBER, status=403)
    app.post_json("/v2.1/flavors", FLAVOR, headers=ADMIN, status=200)
