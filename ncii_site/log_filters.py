"""Filters for the hub's logging configuration (settings.LOGGING)."""

import logging


class RefusalWithoutTraceback(logging.Filter):
    """A 403 is the hub answering as designed (a role without the permission), not a fault:
    Django logs it with the PermissionDenied traceback attached, this keeps its one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
