"""Django finds remarket's models here; each room owns its own."""

from __future__ import annotations

from remarket.flows.models import Cursor, Enrollment, Flow, FlowOptOut, Step
from remarket.insights.models import Conversion, FlowReport
from remarket.mail.models import Message, MessageEvent
from remarket.mail.ratelimit import SendWindow
from remarket.people.activity import Activity
from remarket.people.history import ContactConsentChange, ErasedAddress
from remarket.people.models import Contact
from remarket.people.visitors import ConsentRecord, Visitor
from remarket.shop.models import CartEmail, PushedCart, PushedOrder
from remarket.tracking.models import AudienceMatch, AudienceRule

__all__ = [
    "Activity",
    "AudienceMatch",
    "AudienceRule",
    "CartEmail",
    "ConsentRecord",
    "Contact",
    "ContactConsentChange",
    "Conversion",
    "Cursor",
    "Enrollment",
    "ErasedAddress",
    "Flow",
    "FlowOptOut",
    "FlowReport",
    "Message",
    "MessageEvent",
    "PushedCart",
    "PushedOrder",
    "SendWindow",
    "Step",
    "Visitor",
]
