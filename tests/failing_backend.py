"""An anymail backend that fails on purpose, for the retry tests.

``FailingBackend.script`` is a list of what each next send does: an exception to raise,
or ``None`` to succeed like anymail's test backend. Every success is counted.
"""

from __future__ import annotations

from typing import Any, ClassVar

from anymail.backends.test import EmailBackend


class FailingBackend(EmailBackend):
    script: ClassVar[list[Exception | None]] = []
    delivered: ClassVar[list[Any]] = []

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        sent = super().send_messages(email_messages)
        FailingBackend.delivered.extend(email_messages)
        return sent
