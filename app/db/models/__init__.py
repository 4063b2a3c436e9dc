from .agent_states import AgentStateRow
from .audit import AuditEntry
from .base import Base
from .care import CareTask
from .chat import ChatConversation, ChatMessage
from .complaints import Complaint, ComplaintTransition
from .customers import Customer, CustomerIdentity, Transaction
from .events import EventCursor
from .interactions import Interaction
from .pbx import PbxCall, PbxEvent, PbxKey
from .promises import Promise
from .staff import Agent, Queue
from .values import CustomerValueRow, GradeChange, GradeOverrideRow, GradingSnapshot

__all__ = [
    "Agent",
    "AgentStateRow",
    "AuditEntry",
    "Base",
    "CareTask",
    "ChatConversation",
    "ChatMessage",
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
    "PbxCall",
    "PbxEvent",
    "PbxKey",
    "Promise",
    "Queue",
    "Transaction",
]
