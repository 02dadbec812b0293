"""Three documented behaviours the final mutation sample found unpinned:

* the V4 canonical query URI-encodes ``/`` in parameter *names* too (spec 2.2: "URI-encode
  each name and value (``/``->``%2F``)");
* an anonymous write to a public-read bucket is answered as OSS answers it: 403 AccessDenied,
  "You have no right to access this object because of bucket acl.", EC 0003-00000001 (the
  published OSS error body for that EC);
* a process that forgets to close a ``TlsFront`` still exits: the front's event-loop thread
  must not keep the interpreter alive (a daemon thread);
* ListBuckets accepts a V1 presigned URL made with STS credentials, whose query carries
  ``security-token`` (a V1 sub-resource, so it is in the string to sign: "/?security-token=...").
Expected values come from the spec / OSS's own error body, signatures are computed here by
hand (HMAC-SHA1 over the V1 string to sign), not by the code under test."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import ssl
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from core.oss.signing import canonical_query_v4
from core.serve.messages import Request
from core.serve.tls import TlsFront
from tests.server_env import BUCKET, NOW, STS, error_of, make_service, req
from tests.server_env import root  # noqa: F401 (fixture)


def test_v4_canonical_query_encodes_slash_in_names_and_values():
    assert canonical_query_v4({"a/b": "c/d", "x-oss-signature": "s"}) == "a%2Fb=c%2Fd"
    assert canonical_query_v4({"p/q": ""}) == "p%2Fq"


def test_anonymous_put_to_public_read_bucket_gets_the_oss_access_denied_body(root):
    service = make_service(root, acl="public-read")
    resp = service.handle(req("PUT", "new.txt", body=b"x", creds=None))
    assert resp.status == 403
    err = error_of(resp)
    assert err["Code"] == "AccessDenied"
    assert err["Message"] == "You have no right to access this object because of bucket acl."
    assert not (root / BUCKET / "new.txt").exists()


def test_list_buckets_by_v1_presigned_url_with_sts_token(root):
    service = make_service(root, acl="private")
    expires = str(NOW + 600)
    sts = f"GET\n\n\n{expires}\n/?security-token={STS.security_token}"
    signature = base64.b64encode(hmac.new(STS.access_key_secret.encode(), sts.encode(),
                                          hashlib.sha1).digest()).decode()
    query = {"OSSAccessKeyId": STS.access_key_id, "Expires": expires,
             "Signature": signature, "security-token": STS.security_token}
    resp = service.handle(Request("GET", None, None, query, {}, io.BytesIO(b""), 0,
                                  host="127.0.0.1:9000"))
    assert resp.status == 200, resp.body
    names = [b.findtext("Name") for b in ET.fromstring(resp.body).iter("Bucket")]
    assert names == [BUCKET]


def test_an_unclosed_tls_front_does_not_keep_the_process_alive():
    # Built here too and closed: mutmut runs a test for a function's mutants only if it
    # saw the test call it, and calls in a child process are invisible to it.
    TlsFront(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), lambda s, a: None, 1).close()
    code = ("import ssl\n"
            "from core.serve.tls import TlsFront\n"
            "TlsFront(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), lambda s, a: None, 1)\n"
            "print('started')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "started\n"
