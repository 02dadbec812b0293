"""Ready-to-paste code that fetches one object with one ``x-oss-process`` cascade.

One function per tool the OSS image-processing guide shows: .NET (the guide's
``GetObjectRequest(bucket, key, process)``), Java, Go, Node.js (ali-oss), PHP, Python (oss2
and alibabacloud-oss-v2), ``ossutil`` and curl. Pure text generation from a
:class:`SnippetTarget`; nothing here signs or talks to the network (the signed URL a curl
line downloads is made by the caller with :mod:`core.oss.signing`).

Secrets never appear in a snippet: every SDK reads ``OSS_ACCESS_KEY_ID`` /
``OSS_ACCESS_KEY_SECRET`` (and ``OSS_SESSION_TOKEN``) from the environment when it runs, the
way the SDKs' own samples do. The APIs used, per SDK (checked against the SDK sources):

- .NET, aliyun-oss-csharp-sdk: ``new OssClient(endpoint, id, secret, conf)``,
  ``conf.SignatureVersion = SignatureVersion.V4``, ``client.SetRegion``, ``conf.IsCname``,
  ``client.GetObject(new GetObjectRequest(bucket, key, process))``. It has no path-style
  switch (an IP endpoint is path-style by itself).
- Java, aliyun-oss-java-sdk: ``OSSClientBuilder.create().endpoint().credentialsProvider()
  .clientConfiguration().region().build()``, ``GetObjectRequest.setProcess``,
  ``ClientBuilderConfiguration.setSupportCname`` / ``setSLDEnabled`` (path-style).
- Go, aliyun-oss-go-sdk: ``oss.New(endpoint, "", "", oss.SetCredentialsProvider(&p),
  oss.AuthVersion(oss.AuthV4), oss.Region(r))``, ``oss.UseCname``, ``oss.ForcePathStyle``,
  ``bucket.GetObjectToFile(key, file, oss.Process(process))``.
- Node.js, ali-oss: ``new OSS({endpoint, secure, cname, sldEnable, authorizationV4, region,
  bucket, accessKeyId, accessKeySecret, stsToken})``, ``client.get(key, file, {process})``.
- PHP, aliyun-oss-php-sdk: ``new OssClient(["provider", "endpoint", "cname",
  "forcePathStyle", "signatureVersion", "region"])``, ``getObject(bucket, key,
  [OSS_FILE_DOWNLOAD, OSS_PROCESS])``.
- Python: oss2 ``Bucket(auth, endpoint, bucket, is_cname=, is_path_style=, region=)
  .get_object_to_file(key, file, process=)``; alibabacloud-oss-v2 ``Client(cfg)
  .get_object_to_file(GetObjectRequest(bucket=, key=, process=), file)``.
- ossutil 1.x: ``ossutil sign oss://bucket/key --timeout T --query-param
  x-oss-process:<process>`` (it has no process option on ``cp``), then curl.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from .credentials import ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, ENV_SESSION_TOKEN
from .urls import AddressStyle, BucketAddress

LANGUAGES = ("dotnet", "java", "go", "node", "php", "python-oss2", "python-v2", "ossutil",
             "curl")
TITLES = {"dotnet": ".NET (C#)", "java": "Java", "go": "Go", "node": "Node.js",
          "php": "PHP", "python-oss2": "Python (oss2)",
          "python-v2": "Python (alibabacloud-oss-v2)", "ossutil": "ossutil", "curl": "curl"}


@dataclass(frozen=True)
class SnippetTarget:
    """The object, how it is reached, and the cascade to fetch it with.

    ``region``: the bucket's region for V4 signing; None signs with V1 (a custom endpoint
    whose region cannot be told). ``anonymous``: a public object, fetched unsigned where the
    tool can (the Python SDKs, curl); the other SDKs always sign. ``url``: what curl
    downloads (the plain URL, or a signed one made by the caller). ``expires``: seconds an
    ``ossutil sign`` URL stays valid.
    """

    address: BucketAddress
    key: str
    process: str = ""
    region: str | None = None
    anonymous: bool = False
    url: str = ""
    expires: int = 3600

    @property
    def out_name(self) -> str:
        return self.key.rstrip("/").rsplit("/", 1)[-1] or "output"

    @property
    def endpoint_url(self) -> str:
        """What the SDKs take as endpoint: the custom domain for CNAME, with the scheme."""
        a = self.address
        host = a.domain if a.style is AddressStyle.CNAME else a.endpoint
        return f"{a.scheme}://{host}"

    @property
    def cname(self) -> bool:
        return self.address.style is AddressStyle.CNAME

    @property
    def path_style(self) -> bool:
        return self.address.style is AddressStyle.PATH


def _dq(text: str) -> str:
    """A double-quoted literal for C#, Java, Go and JavaScript (JSON escaping suits all
    four: backslash, quote and control characters escaped, the rest literal)."""
    return json.dumps(text, ensure_ascii=False)


def _php(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def dotnet(t: SnippetTarget) -> str:
    lines = ["// .NET: dotnet add package Aliyun.OSS.SDK.NetCore",
             "using Aliyun.OSS;", "using Aliyun.OSS.Common;", "",
             f"var endpoint = {_dq(t.endpoint_url)};",
             f'var accessKeyId = Environment.GetEnvironmentVariable("{ENV_ACCESS_KEY_ID}");',
             f'var accessKeySecret = Environment.GetEnvironmentVariable('
             f'"{ENV_ACCESS_KEY_SECRET}");',
             f"var bucketName = {_dq(t.address.bucket)};",
             f"var objectName = {_dq(t.key)};",
             f"var process = {_dq(t.process)};", "",
             "var conf = new ClientConfiguration();"]
    if t.region:
        lines.append("conf.SignatureVersion = SignatureVersion.V4;")
    if t.cname:
        lines.append("conf.IsCname = true;")
    lines.append("var client = new OssClient(endpoint, accessKeyId, accessKeySecret, conf);")
    if t.region:
        lines.append(f"client.SetRegion({_dq(t.region)});")
    lines += ["var ossObject = client.GetObject(new GetObjectRequest(bucketName, objectName, "
              "process));",
              f"using (var file = File.Create({_dq(t.out_name)}))",
              "{", "    ossObject.Content.CopyTo(file);", "}"]
    return "\n".join(lines) + "\n"


def java(t: SnippetTarget) -> str:
    conf = []
    if t.region:
        conf.append("        conf.setSignatureVersion(SignVersion.V4);")
    if t.cname:
        conf.append("        conf.setSupportCname(true);")
    if t.path_style:
        conf.append("        conf.setSLDEnabled(true);")
    region = f"\n                .region({_dq(t.region)})" if t.region else ""
    return f"""// Java: com.aliyun.oss:aliyun-sdk-oss
import com.aliyun.oss.*;
import com.aliyun.oss.common.auth.*;
import com.aliyun.oss.common.comm.SignVersion;
import com.aliyun.oss.model.GetObjectRequest;
import java.io.File;

public class Fetch {{
    public static void main(String[] args) throws Throwable {{
        EnvironmentVariableCredentialsProvider credentialsProvider =
                CredentialsProviderFactory.newEnvironmentVariableCredentialsProvider();
        ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
{chr(10).join(conf) + chr(10) if conf else ""}        OSS ossClient = OSSClientBuilder.create()
                .endpoint({_dq(t.endpoint_url)})
                .credentialsProvider(credentialsProvider)
                .clientConfiguration(conf){region}
                .build();
        try {{
            GetObjectRequest request = new GetObjectRequest({_dq(t.address.bucket)}, {_dq(t.key)});
            request.setProcess({_dq(t.process)});
            ossClient.getObject(request, new File({_dq(t.out_name)}));
        }} finally {{
            ossClient.shutdown();
        }}
    }}
}}
"""


def go(t: SnippetTarget) -> str:
    opts = ["oss.SetCredentialsProvider(&provider)"]
    if t.region:
        opts += ["oss.AuthVersion(oss.AuthV4)", f"oss.Region({_dq(t.region)})"]
    if t.cname:
        opts.append("oss.UseCname(true)")
    if t.path_style:
        opts.append("oss.ForcePathStyle(true)")
    return f"""// Go: go get github.com/aliyun/aliyun-oss-go-sdk/oss
package main

import (
	"log"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func main() {{
	provider, err := oss.NewEnvironmentVariableCredentialsProvider()
	if err != nil {{
		log.Fatal(err)
	}}
	client, err := oss.New({_dq(t.endpoint_url)}, "", "",
		{(","+chr(10)+chr(9)+chr(9)).join(opts)})
	if err != nil {{
		log.Fatal(err)
	}}
	bucket, err := client.Bucket({_dq(t.address.bucket)})
	if err != nil {{
		log.Fatal(err)
	}}
	err = bucket.GetObjectToFile({_dq(t.key)}, {_dq(t.out_name)}, oss.Process({_dq(t.process)}))
	if err != nil {{
		log.Fatal(err)
	}}
}}
"""


def node(t: SnippetTarget) -> str:
    opts = [f"endpoint: {_dq(t.address.domain if t.cname else t.address.endpoint)}",
            f"secure: {'true' if t.address.scheme == 'https' else 'false'}"]
    if t.cname:
        opts.append("cname: true")
    if t.path_style:
        opts.append("sldEnable: true")
    if t.region:
        opts += [f"region: {_dq('oss-' + t.region)}", "authorizationV4: true"]
    opts += [f"bucket: {_dq(t.address.bucket)}",
             f"accessKeyId: process.env.{ENV_ACCESS_KEY_ID}",
             f"accessKeySecret: process.env.{ENV_ACCESS_KEY_SECRET}",
             f"stsToken: process.env.{ENV_SESSION_TOKEN}"]
    body = ",\n  ".join(opts)
    return f"""// Node.js: npm install ali-oss
const OSS = require('ali-oss');

const client = new OSS({{
  {body},
}});

client.get({_dq(t.key)}, {_dq(t.out_name)}, {{ process: {_dq(t.process)} }})
  .then(() => console.log('saved {t.out_name.replace("'", "")}'))
  .catch((err) => {{ console.error(err); process.exit(1); }});
"""


def php(t: SnippetTarget) -> str:
    config = ["    'provider' => new EnvironmentVariableCredentialsProvider(),",
              f"    'endpoint' => {_php(t.endpoint_url)},"]
    if t.cname:
        config.append("    'cname' => true,")
    if t.path_style:
        config.append("    'forcePathStyle' => true,")
    if t.region:
        config += ["    'signatureVersion' => OssClient::OSS_SIGNATURE_VERSION_V4,",
                   f"    'region' => {_php(t.region)},"]
    return f"""<?php
// PHP: composer require aliyuncs/oss-sdk-php
require_once __DIR__ . '/vendor/autoload.php';

use OSS\\Credentials\\EnvironmentVariableCredentialsProvider;
use OSS\\OssClient;

$ossClient = new OssClient(array(
{chr(10).join(config)}
));
$ossClient->getObject({_php(t.address.bucket)}, {_php(t.key)}, array(
    OssClient::OSS_FILE_DOWNLOAD => {_php(t.out_name)},
    OssClient::OSS_PROCESS => {_php(t.process)},
));
"""


def python_oss2(t: SnippetTarget) -> str:
    lines = ["# Python: pip install oss2", "import oss2"]
    extra = ""
    if t.anonymous:
        lines += ["", "auth = oss2.AnonymousAuth()"]
    else:
        lines += ["from oss2.credentials import EnvironmentVariableCredentialsProvider", "",
                  f"# Reads {ENV_ACCESS_KEY_ID}, {ENV_ACCESS_KEY_SECRET} (and "
                  f"{ENV_SESSION_TOKEN}).",
                  "auth = oss2.{}(EnvironmentVariableCredentialsProvider())".format(
                      "ProviderAuthV4" if t.region else "ProviderAuth")]
        if t.region:
            extra += f", region={t.region!r}"
    if t.cname:
        extra += ", is_cname=True"
    if t.path_style:
        extra += ", is_path_style=True"
    lines += [f"bucket = oss2.Bucket(auth, {t.endpoint_url!r}, {t.address.bucket!r}{extra})",
              f"bucket.get_object_to_file({t.key!r}, {t.out_name!r}, process={t.process!r})"]
    return "\n".join(lines) + "\n"


def python_v2(t: SnippetTarget) -> str:
    provider = ("oss.credentials.AnonymousCredentialsProvider()" if t.anonymous
                else "oss.credentials.EnvironmentVariableCredentialsProvider()")
    lines = ["# Python: pip install alibabacloud-oss-v2",
             "import alibabacloud_oss_v2 as oss", "",
             "cfg = oss.config.load_default()",
             f"cfg.credentials_provider = {provider}",
             # V2 signs V4 only; a custom endpoint without a region still needs one.
             f"cfg.region = {(t.region or 'cn-hangzhou')!r}",
             f"cfg.endpoint = {t.endpoint_url!r}"]
    if t.cname:
        lines.append("cfg.use_cname = True")
    if t.path_style:
        lines.append("cfg.use_path_style = True")
    lines += ["client = oss.Client(cfg)",
              "client.get_object_to_file(oss.GetObjectRequest(",
              f"    bucket={t.address.bucket!r},", f"    key={t.key!r},",
              f"    process={t.process!r},", f"), {t.out_name!r})"]
    return "\n".join(lines) + "\n"


def ossutil(t: SnippetTarget) -> str:
    endpoint = t.address.domain if t.cname else t.address.endpoint
    sign = ["ossutil", "sign", f"oss://{t.address.bucket}/{t.key}", "-e", endpoint,
            "--timeout", str(t.expires)]
    if t.process:
        sign += ["--query-param", f"x-oss-process:{t.process}"]
    cmd = " ".join(shlex.quote(a) for a in sign)
    return ("# ossutil 1.x signs the URL (credentials from its config or -i/-k), "
            "curl downloads it\n"
            f"url=$({cmd} | head -n 1)\n"
            f'curl -fSL -g -o {shlex.quote(t.out_name)} "$url"\n')


def curl(t: SnippetTarget) -> str:
    return f"curl -fSL -g -o {shlex.quote(t.out_name)} {shlex.quote(t.url)}\n"


GENERATORS = {"dotnet": dotnet, "java": java, "go": go, "node": node, "php": php,
              "python-oss2": python_oss2, "python-v2": python_v2, "ossutil": ossutil,
              "curl": curl}


def snippet(language: str, target: SnippetTarget) -> str:
    """The snippet for ``language`` (one of :data:`LANGUAGES`)."""
    try:
        return GENERATORS[language](target)
    except KeyError:
        raise ValueError(f"unknown language {language!r}; one of {', '.join(LANGUAGES)}") \
            from None


__all__ = ["LANGUAGES", "TITLES", "SnippetTarget", "snippet"]
