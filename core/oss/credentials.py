"""Access keys for OSS, held so that the secret cannot leak by accident.

The secret never appears in ``repr``/``str`` of :class:`Credentials`, in an exception
message raised here, or in a log line. Code that signs reads ``access_key_secret``
explicitly; nothing else should.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from ..errors import OssError

ENV_ACCESS_KEY_ID = "OSS_ACCESS_KEY_ID"
ENV_ACCESS_KEY_SECRET = "OSS_ACCESS_KEY_SECRET"
ENV_SESSION_TOKEN = "OSS_SESSION_TOKEN"


def mask(value: str | None, keep: int = 4) -> str:
    """Shorten an identifier for display: ``mask("LTAI5tExampleKey1234")`` -> ``LTAI****1234``.

    Values too short to keep both ends without revealing most of them become ``****``.
    Meant for access key ids and tokens in user interfaces; never display a secret at all.
    """
    if not value:
        return ""
    if len(value) < 3 * keep:
        return "****"
    return f"{value[:keep]}****{value[-keep:]}"


@dataclass(frozen=True)
class Credentials:
    """An access key pair, plus the security token when the pair comes from STS."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Strip like oss2 does: a pasted key with a trailing newline is the usual cause of
        # "SignatureDoesNotMatch" that no amount of staring at the string-to-sign explains.
        object.__setattr__(self, "access_key_id", (self.access_key_id or "").strip())
        object.__setattr__(self, "access_key_secret", (self.access_key_secret or "").strip())
        token = (self.security_token or "").strip()
        object.__setattr__(self, "security_token", token or None)
        if not self.access_key_id:
            raise OssError("InvalidAccessKeyId", "The access key id is empty.", status=403)
        if not self.access_key_secret:
            raise OssError("InvalidAccessKeyId",
                           f"The access key secret for {mask(self.access_key_id)} is empty.",
                           status=403)

    @property
    def is_sts(self) -> bool:
        return self.security_token is not None

    def __repr__(self) -> str:
        token = "<set>" if self.is_sts else "None"
        return (f"Credentials(access_key_id={mask(self.access_key_id)!r}, "
                f"access_key_secret=<hidden>, security_token={token})")

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Credentials":
        """Read ``OSS_ACCESS_KEY_ID``, ``OSS_ACCESS_KEY_SECRET`` and ``OSS_SESSION_TOKEN``."""
        env = os.environ if environ is None else environ
        key_id = env.get(ENV_ACCESS_KEY_ID, "").strip()
        secret = env.get(ENV_ACCESS_KEY_SECRET, "").strip()
        missing = [name for name, value in ((ENV_ACCESS_KEY_ID, key_id),
                                            (ENV_ACCESS_KEY_SECRET, secret)) if not value]
        if missing:
            raise OssError("MissingArgument",
                           "Credentials are not set: export " + " and ".join(missing)
                           + f" (and {ENV_SESSION_TOKEN} for STS).")
        return cls(key_id, secret, env.get(ENV_SESSION_TOKEN) or None)


# Given an access key id, return its credentials, or None when the id is unknown.
# The verifier in core.oss.signing calls this; a server backs it with its key store.
def static_lookup(*credentials: Credentials):
    """A credentials lookup over a fixed set of keys (for servers and tests)."""
    table = {c.access_key_id: c for c in credentials}
    return table.get
