def test_versions_root(compute):
    resp = compute.get("/")
    assert resp.json["versions"][1]["id"] == "v2.1"
