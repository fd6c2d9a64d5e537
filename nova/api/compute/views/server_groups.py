"""Server group views, by microversion."""

from nova.compute import server_groups as service


def group(req, row, members):
    view = {"id": row.uuid, "name": row.name}
    if req.is_version("2.64"):
        view["policy"] = row.policy
        view["rules"] = service.rules_of(row)
    else:
        view["policies"] = [row.policy]
        view["metadata"] = {}
    view["members"] = members
    if req.is_version("2.13"):
        view["project_id"] = row.project_id
        view["user_id"] = row.user_id
    return view
