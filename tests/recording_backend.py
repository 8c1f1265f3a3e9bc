"""anymail's test backend, also appending one line per sent email to a shared file.

Several tick processes send at once in the concurrency tests; each has its own in-memory
outbox, so this file is the one record of every email that left, across processes.
"""

from __future__ import annotations

import os
import time

from anymail.backends.test import EmailBackend as AnymailTestBackend
from django.conf import settings


class EmailBackend(AnymailTestBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        sent = super().send_messages(email_messages)
        delay = float(os.environ.get("REMARKET_TEST_SEND_DELAY", "0"))
        path = getattr(settings, "REMARKET_TEST_OUTBOX", "") or os.environ["REMARKET_TEST_OUTBOX"]
        for message in email_messages:
            if delay:
                time.sleep(delay)  # an ESP round trip, so a kill lands mid-batch
            line = f"{message.metadata['remarket_message']} {message.to[0]}\n"
            # O_APPEND writes of one short line are atomic across processes.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        return sent
