"""One connection for every panel: where the object lives and how it is reached.

A :class:`Connection` holds the endpoint, bucket, object key, HTTPS, path-style, custom
domain, access mode (public or signed, V4 or V1, region, expiry) and the style name, plus
the shared :class:`viewer.model.session.Session` for the credentials. The URL bar, the URLs,
Styles, Remote and Bucket panels all read it; the connection bar and its editor are the
only places it is edited (``changed`` tells everyone).

Named profiles ("default", "local serve", "prod" ...) are remembered in QSettings under
``connection/profiles/<name>/`` -- every field of :class:`Profile` and nothing else: no
field of it can hold a secret. With "Remember the secret in the keychain" on, the access
key id and secret go to the OS keychain (:mod:`viewer.model.keychain`); otherwise, or when no
keychain exists, they live in the session only.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from PySide6.QtCore import QObject, QSettings, Signal

from core.errors import OssError
from core.oss.client import OssClient
from core.oss.credentials import Credentials
from core.oss.urls import BucketAddress, is_ip_or_localhost, resolve_region

from .keychain import Keychain, KeychainError
from .session import TYPED, Session
from .settings import to_bool
from .url_model import DEFAULT_ENDPOINT, UrlForm

GROUP = "connection"
LOCAL_SERVE = "local serve"
LOCAL_REGION = "cn-hangzhou"      # what `oss-img serve` verifies V4 against by default


@dataclass(frozen=True)
class Profile:
    """Everything a profile remembers. Safe to persist: there is no field for a secret."""

    endpoint: str = DEFAULT_ENDPOINT
    bucket: str = ""
    key: str = ""              # empty: the open image's name
    domain: str = ""           # custom domain (CNAME)
    https: bool = True
    path_style: bool = False
    region: str = ""           # empty: derived from the endpoint
    private: bool = False      # signed requests and URLs
    version: str = "v4"
    expiry: int = 3600
    style: str = ""
    separator: str = ""
    keychain: bool = False     # the secret is remembered in the OS keychain


DEFAULT_PROFILES = {
    "default": Profile(),
    LOCAL_SERVE: Profile(endpoint="127.0.0.1:9000", https=False, path_style=True,
                         region=LOCAL_REGION),
}


def _coerce(default: object, raw: object) -> object:
    if isinstance(default, bool):
        return to_bool(raw)
    if isinstance(default, int):
        return int(raw)
    return str(raw)


class Connection(QObject):
    """The current profile, its name, and the session's credentials.

    ``changed`` after any edit; ``profilesChanged`` when a profile is added or removed;
    ``message(str)`` for what the keychain said (shown by the editor).
    """

    changed = Signal()
    profilesChanged = Signal()
    message = Signal(str)

    def __init__(self, settings: QSettings, session: Session,
                 parent: QObject | None = None, *, keychain: Keychain | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.session = session
        self.keychain = keychain or Keychain()
        self._name = "default"
        self._profile = Profile()
        self._seed()
        name = str(settings.value(f"{GROUP}/current", "default") or "default")
        self.load(name if name in self.profile_names() else "default")
        session.changed.connect(self.changed)

    # -- reading -----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def profile(self) -> Profile:
        return self._profile

    def credentials(self) -> Credentials | None:
        """What to sign with: the session's credentials for a private connection."""
        return self.session.credentials() if self._profile.private else None

    def address(self) -> BucketAddress:
        """Where the bucket is reached; OssError names the field to fix."""
        p = self._profile
        if not p.bucket:
            raise OssError("MissingArgument", "Choose a bucket in the connection.",
                           key="bucket")
        return BucketAddress.from_endpoint(p.endpoint, p.bucket, https=p.https,
                                           cname=p.domain or None, path_style=p.path_style)

    def signing_region(self) -> str | None:
        """The V4 region: the profile's, the endpoint's, or serve's default on loopback."""
        p = self._profile
        if p.region:
            return p.region
        try:
            return resolve_region(p.endpoint)
        except OssError:
            host = p.endpoint.split("://")[-1].split("/")[0]
            return LOCAL_REGION if is_ip_or_localhost(host) else None

    def url_form(self, *, sign_style: bool = False) -> UrlForm:
        p = self._profile
        region = p.region or (self.signing_region() or "" if p.private else "")
        return UrlForm(endpoint=p.endpoint, bucket=p.bucket, key=p.key, domain=p.domain,
                       https=p.https, path_style=p.path_style, region=region,
                       style=p.style, separator=p.separator, private=p.private,
                       version=p.version, expiry=p.expiry, sign_style=sign_style)

    def client(self) -> OssClient:
        """A client for the bucket (anonymous for a public connection)."""
        creds = self.credentials()
        if self._profile.private and creds is None:
            raise OssError("MissingArgument", self.session.problem() or "No credentials.")
        region = self.signing_region() if self._profile.version == "v4" else None
        return OssClient(self.address(), creds, version=self._profile.version,
                         region=region)

    def describe(self) -> str:
        """One line: where the URLs point and how they are signed."""
        p = self._profile
        try:
            where = self.address().url(p.key or None)
        except OssError as e:
            where = e.message
        access = (f"signed {p.version.upper()}" if p.private else "public")
        return f"{where} · {access}"

    # -- editing -----------------------------------------------------------------------
    def update(self, **changes) -> None:
        """Change fields of the current profile (remembered at once, never secrets)."""
        new = replace(self._profile, **changes)
        if new == self._profile:
            return
        turned_on = new.keychain and not self._profile.keychain
        turned_off = self._profile.keychain and not new.keychain
        self._profile = new
        self._write(self._name, new)
        if turned_on:
            self.store_secret()
        elif turned_off:
            self.keychain.delete(self._name)
            self.message.emit("The secret was removed from the keychain; it stays for "
                              "this session only.")
        self.changed.emit()

    def store_secret(self) -> bool:
        """Put the typed key id and secret in the keychain (when the profile asks)."""
        if not self._profile.keychain:
            return False
        ok, why = self.keychain.status()
        if not ok:
            self.message.emit(why)
            return False
        key_id, secret, _token = self.session.typed
        if not key_id or not secret:
            self.message.emit("Type the access key id and secret; they are stored in the "
                              "keychain when you press Remember.")
            return False
        try:
            self.keychain.save(self._name, key_id, secret)
        except KeychainError as e:
            self.message.emit(str(e))
            return False
        self.message.emit(why)
        return True

    # -- profiles ----------------------------------------------------------------------
    def profile_names(self) -> list[str]:
        s = self.settings
        s.beginGroup(f"{GROUP}/profiles")
        names = s.childGroups()
        s.endGroup()
        return sorted(names, key=lambda n: (n != "default", n.lower()))

    def load(self, name: str) -> None:
        self._name = name
        self._profile = self._read(name)
        self.settings.setValue(f"{GROUP}/current", name)
        if self._profile.keychain:
            ok, why = self.keychain.status()
            got = None
            if ok:
                try:
                    got = self.keychain.load(name)
                except KeychainError as e:
                    why = str(e)
            if got:
                self.session.set_typed(got[0], got[1])
            else:
                self.message.emit(why if not ok else
                                  f"No secret for {name!r} in the keychain yet.")
        self.changed.emit()

    def save_as(self, name: str) -> None:
        name = name.strip().replace("/", "-")
        if not name:
            return
        self._write(name, self._profile)
        self._name = name
        self.settings.setValue(f"{GROUP}/current", name)
        if self._profile.keychain:
            self.store_secret()
        self.profilesChanged.emit()
        self.changed.emit()

    def delete(self, name: str) -> None:
        self.settings.remove(f"{GROUP}/profiles/{name}")
        self.keychain.delete(name)
        if not self.profile_names():
            self._seed()
        self.profilesChanged.emit()
        if name == self._name:
            self.load(self.profile_names()[0])

    # -- storage -----------------------------------------------------------------------
    def _seed(self) -> None:
        """First run: the built-in profiles; "default" takes what the URLs panel had
        remembered (urls/*), so nobody types their bucket again."""
        if self.profile_names():
            return
        legacy = {}
        for f in fields(Profile):
            raw = self.settings.value(f"urls/{f.name}")
            if raw is not None:
                try:
                    legacy[f.name] = _coerce(getattr(Profile(), f.name), raw)
                except (TypeError, ValueError):
                    pass
        for name, profile in DEFAULT_PROFILES.items():
            self._write(name, replace(profile, **legacy) if name == "default" else profile)

    def _read(self, name: str) -> Profile:
        base = DEFAULT_PROFILES.get(name, Profile())
        values = {}
        for f in fields(Profile):
            raw = self.settings.value(f"{GROUP}/profiles/{name}/{f.name}")
            if raw is None:
                continue
            try:
                values[f.name] = _coerce(getattr(base, f.name), raw)
            except (TypeError, ValueError):
                continue
        if values.get("version") not in (None, "v1", "v4"):
            values.pop("version")
        return replace(base, **values)

    def _write(self, name: str, profile: Profile) -> None:
        for key, value in asdict(profile).items():
            self.settings.setValue(f"{GROUP}/profiles/{name}/{key}", value)


__all__ = ["Connection", "Profile", "DEFAULT_PROFILES", "LOCAL_SERVE", "TYPED"]
