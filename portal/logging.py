"""Log filters. Citizens' identity numbers and phone numbers never reach the logs whole."""

import logging
import re

_CITIZEN_ID = re.compile(r"(?<!\d)(\d{3})\d{6}(\d{3})(?!\d)")
_PHONE = re.compile(r"(?<!\d)(\+84|0)(\d{2})\d{4,5}(\d{3})(?!\d)")


def mask_personal_data(text: str) -> str:
    text = _CITIZEN_ID.sub(r"\1******\2", text)
    return _PHONE.sub(r"\1\2*****\3", text)


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        # Tracebacks carry exception messages (a DataError quoting a value, a ValueError naming
        # a citizen): format them once here, masked; formatters reuse ``exc_text``.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True
