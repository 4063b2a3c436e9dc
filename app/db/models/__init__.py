from .audit import AuditEntry
from .base import Base
from .complaints import Complaint, ComplaintTransition
from .customers import Customer, CustomerIdentity, Transaction
from .events import EventCursor
from .interactions import Interaction
from .staff import Agent, Queue
from .values import CustomerValueRow, GradeChange, GradeOverrideRow, GradingSnapshot

__all__ = [
    "Agent",
    "AuditEntry",
    "Base",
    "Complaint",
    "ComplaintTransition",
    "Customer",
    "CustomerIdentity",
    "CustomerValueRow",
    "EventCursor",
    "GradeChange",
    "GradeOverrideRow",
    "GradingSnapshot",
    "Interaction",
    "Queue",
    "Transaction",
]
