"""What the URLs panel shows, computed without Qt: the form (:class:`UrlForm`, everything but
the credentials, safe to persist) and :func:`build_urls`, every output of the panel (plain,
style and signed URLs, an oss2 script, a curl line) or the reason it cannot be made.

Pure: the connection, the URL bar, the remote panel and the tests read it without widgets.
Secrets never reach an output: the snippets read the OSS_* environment variables at run
time.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import datetime, timezone

from core.errors import OssError
from core.oss.credentials import (ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, ENV_SESSION_TOKEN,
                                  Credentials)
from core.oss.signing import presign
from core.oss.urls import (AddressStyle, BucketAddress, process_url, resolve_region,
                           separator_url, style_process, style_url, validate_key)

# Public endpoints of OSS regions (https://www.alibabacloud.com/help/en/oss/user-guide/regions-and-endpoints).
# The combo box is editable: internal, accelerate, dual-stack or local endpoints can be typed.
ENDPOINTS = tuple(f"oss-{r}.aliyuncs.com" for r in (
    "cn-hangzhou", "cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-wuhan-lr", "cn-qingdao",
    "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-shenzhen",
    "cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong", "ap-southeast-1",
    "ap-southeast-3", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
    "ap-northeast-1", "ap-northeast-2", "us-west-1", "us-east-1", "eu-central-1",
    "eu-west-1", "me-east-1", "me-central-1",
))
DEFAULT_ENDPOINT = ENDPOINTS[0]
V1_MAX_EXPIRES = 10 * 365 * 24 * 3600  # V1 takes an absolute time; keep the spin box sane
OUTPUTS = ("plain", "style", "signed", "python", "curl")


@dataclass(frozen=True)
class UrlForm:
    """Everything the panel's fields hold except credentials. Safe to persist, by design:
    there is no field here a secret could be put in."""

    endpoint: str = DEFAULT_ENDPOINT
    bucket: str = ""
    key: str = ""              # empty: the document's source name
    domain: str = ""           # custom domain (CNAME)
    https: bool = True
    path_style: bool = False
    region: str = ""           # empty: derived from the endpoint (V4 only)
    style: str = ""
    separator: str = ""        # "" -> ?x-oss-process=style/<name>; else one of SEPARATORS
    private: bool = False
    version: str = "v4"
    expiry: int = 3600
    sign_style: bool = False   # signed URL and snippets process with style/<name>


@dataclass(frozen=True)
class UrlResults:
    """Every output of the panel, or the reason it cannot be produced."""

    texts: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    expires_at: int | None = None

    def copy_note(self, kind: str, label: str) -> str:
        """The status line after copying ``kind`` (called ``label``): what was copied and, for
        a signed URL, until when it works; or why there is nothing to copy."""
        if kind not in self.texts:
            return f"Cannot copy the {label}: {self.errors.get(kind, 'not available')}"
        note = f"Copied the {label}"
        if kind in ("signed", "curl") and self.expires_at is not None:
            when = datetime.fromtimestamp(self.expires_at, timezone.utc)
            note += f" (valid until {when:%Y-%m-%d %H:%M:%S} UTC)"
        return note + "."


def _message(error: Exception) -> str:
    return error.message if isinstance(error, OssError) else str(error)


def _out_name(key: str) -> str:
    return key.rstrip("/").rsplit("/", 1)[-1] or "output"


def python_snippet(form: UrlForm, address: BucketAddress, key: str, process: str,
                   region: str | None) -> str:
    """A runnable oss2 script. Credentials are read from the environment when it runs."""
    if address.style is AddressStyle.CNAME:
        endpoint, extra = f"{address.scheme}://{address.domain}", ", is_cname=True"
    else:
        endpoint = f"{address.scheme}://{address.endpoint}"
        extra = ", is_path_style=True" if address.style is AddressStyle.PATH else ""
    lines = ["# Python, oss2 (pip install oss2)", "import oss2"]
    if form.private:
        auth_cls = "ProviderAuthV4" if form.version == "v4" else "ProviderAuth"
        if form.version == "v4":
            extra += f", region={region!r}"
        lines[1:1] = ["# Credentials come from the environment: "
                      f"{ENV_ACCESS_KEY_ID}, {ENV_ACCESS_KEY_SECRET}",
                      f"# (and {ENV_SESSION_TOKEN} for STS)."]
        lines += ["from oss2.credentials import EnvironmentVariableCredentialsProvider", "",
                  f"auth = oss2.{auth_cls}(EnvironmentVariableCredentialsProvider())"]
    else:
        lines += ["", "auth = oss2.AnonymousAuth()"]
    lines += [f"bucket = oss2.Bucket(auth, {endpoint!r}, {address.bucket!r}{extra})",
              f"key = {key!r}"]
    if process:
        lines.append(f"process = {process!r}")
    download = (f"bucket.get_object_to_file(key, {_out_name(key)!r}"
                + (", process=process)" if process else ")"))
    if form.private:
        params = ", params={'x-oss-process': process}" if process else ""
        lines += ["", f"# A URL valid for {form.expiry} seconds:",
                  f"url = bucket.sign_url('GET', key, {form.expiry}{params}, slash_safe=True)",
                  "print(url)", "", "# Or download the processed image:", f"# {download}"]
    else:
        lines += ["", "# Download the processed image:", download]
    return "\n".join(lines) + "\n"


def curl_snippet(url: str, key: str) -> str:
    return f"curl -fSL -g -o {shlex.quote(_out_name(key))} {shlex.quote(url)}\n"


def build_urls(form: UrlForm, default_key: str, cascade: str,
               credentials: Credentials | None, credentials_error: str | None,
               now: float) -> UrlResults:
    """Compute every output from the form. Pure; never raises for user input."""
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}

    def fail_all(message: str) -> UrlResults:
        return UrlResults({}, {k: message for k in OUTPUTS})

    if not form.bucket.strip():
        return fail_all("Enter a bucket name.")
    try:
        address = BucketAddress.from_endpoint(form.endpoint, form.bucket.strip(),
                                              https=form.https,
                                              cname=form.domain.strip() or None,
                                              path_style=form.path_style)
    except OssError as e:
        return fail_all(_message(e))
    key = form.key or default_key
    if not key:
        return fail_all("Enter an object key (or open an image).")
    try:
        validate_key(key)
    except OssError as e:
        return fail_all(_message(e))

    texts["plain"] = process_url(address, key, cascade)
    style = form.style.strip()
    if not style:
        errors["style"] = "Enter a style name."
    else:
        try:
            texts["style"] = (separator_url(address, key, style, form.separator)
                              if form.separator else style_url(address, key, style))
        except OssError as e:
            errors["style"] = _message(e)

    process = cascade
    if form.sign_style:
        try:
            process = style_process(style)
        except OssError as e:
            for kind in ("signed", "python", "curl"):
                errors[kind] = _message(e)
            return UrlResults(texts, errors)

    region = region_error = None
    if form.private and form.version == "v4":
        try:
            region = resolve_region(address.endpoint, form.region or None)
        except OssError as e:
            region_error = errors["python"] = _message(e)

    expires_at = None
    if not form.private:
        errors["signed"] = "Public access: choose Private to sign URLs."
        texts["curl"] = curl_snippet(
            texts["plain"] if not form.sign_style else style_url(address, key, style), key)
    elif region_error:
        errors["signed"] = errors["curl"] = region_error
    elif credentials is None:
        errors["signed"] = errors["curl"] = credentials_error or "No credentials."
    else:
        try:
            signed = presign(address, key, credentials, version=form.version,
                             process=process or None, expires=form.expiry, now=now,
                             **({"region": form.region or None} if form.version == "v4"
                                else {}))
            texts["signed"] = signed.url
            texts["curl"] = curl_snippet(signed.url, key)
            expires_at = signed.expires_at
        except OssError as e:
            errors["signed"] = errors["curl"] = _message(e)
    if "python" not in errors:
        texts["python"] = python_snippet(form, address, key, process, region)
    return UrlResults(texts, errors, expires_at)
