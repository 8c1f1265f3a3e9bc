"""Django finds remarket's models here; each room owns its own."""

from __future__ import annotations

from remarket.flows.models import Cursor, Enrollment, Flow, FlowOptOut, Step
from remarket.insights.models import Conversion
from remarket.mail.models import Message, MessageEvent
from remarket.people.activity import Activity
from remarket.people.models import Contact
from remarket.people.visitors import ConsentRecord, Visitor
from remarket.shop.models import CartEmail
from remarket.tracking.models import AudienceMatch, AudienceRule

__all__ = [
    "Activity",
    "AudienceMatch",
    "AudienceRule",
    "CartEmail",
    "ConsentRecord",
    "Contact",
    "Conversion",
    "Cursor",
    "Enrollment",
    "Flow",
    "FlowOptOut",
    "Message",
    "MessageEvent",
    "Step",
    "Visitor",
]
