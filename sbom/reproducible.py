"""The one clock of reproducible builds, shared by every document writer."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from lineage.errors import InputError


def reproducible_time() -> datetime:
    """``SOURCE_DATE_EPOCH`` when set (``InputError`` if it is not a Unix time), else the
    Unix epoch, so equal inputs give byte-identical documents."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except (ValueError, OverflowError, OSError) as exc:
            raise InputError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time") from exc
    return datetime.fromtimestamp(0, tz=timezone.utc)
