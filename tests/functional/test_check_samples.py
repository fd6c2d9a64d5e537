"""``nova-wsgi-check`` on upstream Nova 34's own recorded answers (the
reference samples, replayed with their repeated headers by
pytest-httpserver): every check passes, with upstream's request ids.
"""

import io

from nova.packaging import check
from tests.unit.check_answers import TOKEN, Upstream, raw_sample


def test_upstream_nova_34_answers_pass(httpserver):
    upstream = Upstream(httpserver, answers=raw_sample)
    out = io.StringIO()
    rc = check.main([upstream.base, "--metadata", upstream.base + "/meta",
                     "--token", TOKEN], out=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "PASS compute-versions", "PASS compute-auth",
        "PASS compute-microversions", "PASS compute-request-ids",
        "PASS compute-body-limit", "PASS metadata-versions"], lines
    assert rc == 0
    assert lines[1] == (
        "PASS compute-auth: GET /v2.1/flavors without a token answered 401 "
        '(WWW-Authenticate: Keystone uri="http://127.0.0.1:5000")')
    # Upstream's own request id, from the sample of the 401.
    assert "(e.g. req-a33a4d46-daab-42cd-a8f8-2d86d0e91211)" in lines[3]
