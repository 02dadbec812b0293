"""Code snippets that fetch an object with a cascade, one per SDK the OSS guide shows.

The golden texts are written by hand from each SDK's documented API (the image-processing
pages of the OSS developer guide and the SDK sources: GetObjectRequest(bucket, key,
process) in .NET, setProcess in Java, oss.Process in Go, {process} in ali-oss,
OSS_PROCESS in PHP, process= in both Python SDKs, --query-param x-oss-process: in ossutil
sign). The two Python snippets are then run, as written, against ``oss-img serve`` on
loopback and must download exactly what the server renders for that cascade.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from PIL import Image

from core.oss.credentials import Credentials
from core.oss.snippets import LANGUAGES, SnippetTarget, snippet
from core.oss.urls import BucketAddress
from core.serve.runner import serve
from tests.helpers import encode, quadrants

PROCESS = "image/resize,w_100/rotate,90"
VIRTUAL = SnippetTarget(
    BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", "examplebucket", https=True),
    "photos/cat.jpg", PROCESS, region="cn-hangzhou",
    url="https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/cat.jpg"
        "?x-oss-process=image%2Fresize%2Cw_100%2Frotate%2C90")


def test_dotnet_uses_the_guides_get_object_request():
    assert snippet("dotnet", VIRTUAL) == '''\
// .NET: dotnet add package Aliyun.OSS.SDK.NetCore
using Aliyun.OSS;
using Aliyun.OSS.Common;

var endpoint = "https://oss-cn-hangzhou.aliyuncs.com";
var accessKeyId = Environment.GetEnvironmentVariable("OSS_ACCESS_KEY_ID");
var accessKeySecret = Environment.GetEnvironmentVariable("OSS_ACCESS_KEY_SECRET");
var bucketName = "examplebucket";
var objectName = "photos/cat.jpg";
var process = "image/resize,w_100/rotate,90";

var conf = new ClientConfiguration();
conf.SignatureVersion = SignatureVersion.V4;
var client = new OssClient(endpoint, accessKeyId, accessKeySecret, conf);
client.SetRegion("cn-hangzhou");
var ossObject = client.GetObject(new GetObjectRequest(bucketName, objectName, process));
using (var file = File.Create("cat.jpg"))
{
    ossObject.Content.CopyTo(file);
}
'''


def test_java():
    assert snippet("java", VIRTUAL) == '''\
// Java: com.aliyun.oss:aliyun-sdk-oss
import com.aliyun.oss.*;
import com.aliyun.oss.common.auth.*;
import com.aliyun.oss.common.comm.SignVersion;
import com.aliyun.oss.model.GetObjectRequest;
import java.io.File;

public class Fetch {
    public static void main(String[] args) throws Throwable {
        EnvironmentVariableCredentialsProvider credentialsProvider =
                CredentialsProviderFactory.newEnvironmentVariableCredentialsProvider();
        ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
        conf.setSignatureVersion(SignVersion.V4);
        OSS ossClient = OSSClientBuilder.create()
                .endpoint("https://oss-cn-hangzhou.aliyuncs.com")
                .credentialsProvider(credentialsProvider)
                .clientConfiguration(conf)
                .region("cn-hangzhou")
                .build();
        try {
            GetObjectRequest request = new GetObjectRequest("examplebucket", "photos/cat.jpg");
            request.setProcess("image/resize,w_100/rotate,90");
            ossClient.getObject(request, new File("cat.jpg"));
        } finally {
            ossClient.shutdown();
        }
    }
}
'''


def test_go():
    assert snippet("go", VIRTUAL) == '''\
// Go: go get github.com/aliyun/aliyun-oss-go-sdk/oss
package main

import (
\t"log"

\t"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func main() {
\tprovider, err := oss.NewEnvironmentVariableCredentialsProvider()
\tif err != nil {
\t\tlog.Fatal(err)
\t}
\tclient, err := oss.New("https://oss-cn-hangzhou.aliyuncs.com", "", "",
\t\toss.SetCredentialsProvider(&provider),
\t\toss.AuthVersion(oss.AuthV4),
\t\toss.Region("cn-hangzhou"))
\tif err != nil {
\t\tlog.Fatal(err)
\t}
\tbucket, err := client.Bucket("examplebucket")
\tif err != nil {
\t\tlog.Fatal(err)
\t}
\terr = bucket.GetObjectToFile("photos/cat.jpg", "cat.jpg", oss.Process("image/resize,w_100/rotate,90"))
\tif err != nil {
\t\tlog.Fatal(err)
\t}
}
'''


def test_node():
    assert snippet("node", VIRTUAL) == '''\
// Node.js: npm install ali-oss
const OSS = require('ali-oss');

const client = new OSS({
  endpoint: "oss-cn-hangzhou.aliyuncs.com",
  secure: true,
  region: "oss-cn-hangzhou",
  authorizationV4: true,
  bucket: "examplebucket",
  accessKeyId: process.env.OSS_ACCESS_KEY_ID,
  accessKeySecret: process.env.OSS_ACCESS_KEY_SECRET,
  stsToken: process.env.OSS_SESSION_TOKEN,
});

client.get("photos/cat.jpg", "cat.jpg", { process: "image/resize,w_100/rotate,90" })
  .then(() => console.log('saved cat.jpg'))
  .catch((err) => { console.error(err); process.exit(1); });
'''


def test_php():
    assert snippet("php", VIRTUAL) == '''\
<?php
// PHP: composer require aliyuncs/oss-sdk-php
require_once __DIR__ . '/vendor/autoload.php';

use OSS\\Credentials\\EnvironmentVariableCredentialsProvider;
use OSS\\OssClient;

$ossClient = new OssClient(array(
    'provider' => new EnvironmentVariableCredentialsProvider(),
    'endpoint' => 'https://oss-cn-hangzhou.aliyuncs.com',
    'signatureVersion' => OssClient::OSS_SIGNATURE_VERSION_V4,
    'region' => 'cn-hangzhou',
));
$ossClient->getObject('examplebucket', 'photos/cat.jpg', array(
    OssClient::OSS_FILE_DOWNLOAD => 'cat.jpg',
    OssClient::OSS_PROCESS => 'image/resize,w_100/rotate,90',
));
'''


def test_python_oss2():
    assert snippet("python-oss2", VIRTUAL) == '''\
# Python: pip install oss2
import oss2
from oss2.credentials import EnvironmentVariableCredentialsProvider

# Reads OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN).
auth = oss2.ProviderAuthV4(EnvironmentVariableCredentialsProvider())
bucket = oss2.Bucket(auth, 'https://oss-cn-hangzhou.aliyuncs.com', 'examplebucket', region='cn-hangzhou')
bucket.get_object_to_file('photos/cat.jpg', 'cat.jpg', process='image/resize,w_100/rotate,90')
'''


def test_python_v2():
    assert snippet("python-v2", VIRTUAL) == '''\
# Python: pip install alibabacloud-oss-v2
import alibabacloud_oss_v2 as oss

cfg = oss.config.load_default()
cfg.credentials_provider = oss.credentials.EnvironmentVariableCredentialsProvider()
cfg.region = 'cn-hangzhou'
cfg.endpoint = 'https://oss-cn-hangzhou.aliyuncs.com'
client = oss.Client(cfg)
client.get_object_to_file(oss.GetObjectRequest(
    bucket='examplebucket',
    key='photos/cat.jpg',
    process='image/resize,w_100/rotate,90',
), 'cat.jpg')
'''


def test_ossutil_signs_with_the_process_query_param():
    assert snippet("ossutil", VIRTUAL) == (
        "# ossutil 1.x signs the URL (credentials from its config or -i/-k), curl "
        "downloads it\n"
        "url=$(ossutil sign oss://examplebucket/photos/cat.jpg -e oss-cn-hangzhou.aliyuncs.com"
        " --timeout 3600 --query-param x-oss-process:image/resize,w_100/rotate,90"
        " | head -n 1)\n"
        'curl -fSL -g -o cat.jpg "$url"\n')


def test_curl_downloads_the_given_url():
    assert snippet("curl", VIRTUAL) == (
        "curl -fSL -g -o cat.jpg 'https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/"
        "cat.jpg?x-oss-process=image%2Fresize%2Cw_100%2Frotate%2C90'\n")


def test_cname_and_path_style_switches():
    cname = SnippetTarget(BucketAddress.from_endpoint(
        "oss-cn-hangzhou.aliyuncs.com", "examplebucket", https=True,
        cname="img.example.com"), "a.png", "image/format,webp", region="cn-hangzhou")
    assert "conf.IsCname = true;" in snippet("dotnet", cname)
    assert "conf.setSupportCname(true);" in snippet("java", cname)
    assert "oss.UseCname(true)" in snippet("go", cname)
    assert 'endpoint: "img.example.com",\n  secure: true,\n  cname: true,' in snippet("node", cname)
    assert "'cname' => true," in snippet("php", cname)
    assert ("oss2.Bucket(auth, 'https://img.example.com', 'examplebucket', "
            "region='cn-hangzhou', is_cname=True)") in snippet("python-oss2", cname)
    assert "cfg.endpoint = 'https://img.example.com'\ncfg.use_cname = True" in \
        snippet("python-v2", cname)
    path = SnippetTarget(BucketAddress.from_endpoint(
        "oss-cn-hangzhou.aliyuncs.com", "examplebucket", path_style=True), "a.png", "",
        region=None)
    assert "conf.setSLDEnabled(true);" in snippet("java", path)
    assert "conf.setSignatureVersion" not in snippet("java", path)   # no region: V1
    assert "oss.ForcePathStyle(true)" in snippet("go", path)
    assert "sldEnable: true" in snippet("node", path)
    assert "'forcePathStyle' => true," in snippet("php", path)
    assert "oss2.ProviderAuth(" in snippet("python-oss2", path)


def test_quotes_in_keys_are_escaped_per_language():
    t = SnippetTarget(BucketAddress.from_endpoint("oss-cn-hangzhou.aliyuncs.com", "b-1"),
                      'it\'s "x".jpg', "", region="cn-hangzhou")
    assert '"it\'s \\"x\\".jpg"' in snippet("java", t)
    assert "'it\\'s \"x\".jpg'" in snippet("php", t)
    compile(snippet("python-oss2", t), "s.py", "exec")
    compile(snippet("python-v2", t), "s.py", "exec")


def test_unknown_language():
    with pytest.raises(ValueError):
        snippet("cobol", VIRTUAL)
    assert len(LANGUAGES) == 9


# -- the Python snippets, run against oss-img serve ------------------------------------
CREDS = Credentials("LTAI5tSnippetKey00001", "Snippet+Secret/001=")
BUCKET = "snippet-bucket"
IMG = encode(quadrants(60, 40), "PNG")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("snip-root")
    (r / BUCKET / "in").mkdir(parents=True)
    (r / BUCKET / "in" / "q.png").write_bytes(IMG)
    return r


@pytest.fixture(scope="module", params=["private", "public-read"])
def server(request, root):
    srv = serve(root, "127.0.0.1", 0, request.param, CREDS, region="cn-hangzhou")
    srv.start()
    yield request.param, srv
    srv.stop()


@pytest.mark.parametrize("language", ["python-oss2", "python-v2"])
def test_python_snippets_run_against_serve(server, language, tmp_path):
    acl, srv = server
    host, port = srv.server_address[:2]
    address = BucketAddress.from_endpoint(f"{host}:{port}", BUCKET)
    target = SnippetTarget(address, "in/q.png", "image/resize,w_30/rotate,90/format,png",
                           region="cn-hangzhou", anonymous=(acl == "public-read"))
    code = snippet(language, target)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSS_")}
    env.update(OSS_ACCESS_KEY_ID=CREDS.access_key_id,
               OSS_ACCESS_KEY_SECRET=CREDS.access_key_secret, NO_PROXY="*")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with Image.open(io.BytesIO((tmp_path / "q.png").read_bytes())) as got:
        # resize,w_30 of 60x40 -> 30x20; rotate,90 -> 20x30 (OSS docs: clockwise)
        assert got.size == (20, 30)
        assert got.format == "PNG"
