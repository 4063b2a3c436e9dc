from .audit import AuditEntry
from .base import Base
from .complaints import Complaint, ComplaintTransition
from .customers import Customer, CustomerIdentity, Transaction
from .interactions import Interaction
from .staff import Agent, Queue

__all__ = [
    "Agent",
    "AuditEntry",
    "Base",
    "Complaint",
    "ComplaintTransition",
    "Customer",
    "CustomerIdentity",
    "Interaction",
    "Queue",
    "Transaction",
]
