"""OSS access: URL forms (:mod:`.urls`), V1/V4 signing (:mod:`.signing`), credentials
(:mod:`.credentials`) and an HTTP client (:mod:`.client`). Pure, no Qt; the client pulls
in ``requests`` only when imported."""
