"""The names of the live path's events (each documented in docs/events.md), for every
module that emits or reads one."""

CONTACT_ARRIVED = "contact.arrived"
CONTACT_QUEUED = "contact.queued"
CONTACT_OFFERED = "contact.offered"
OFFER_CANCELLED = "contact.offer_cancelled"
CONTACT_ASSIGNED = "contact.assigned"
CONTACT_ESCALATED = "contact.escalated"
CONTACT_OVERFLOWED = "contact.overflowed"
CONTACT_TIMED_OUT = "contact.timed_out"
CONTACT_ENDED = "contact.ended"
CONTACT_TRANSFERRED = "contact.transferred"
CONTACT_WRAPPED_UP = "contact.wrapped_up"
CONTACT_RATED = "contact.rated"  # the IVR survey's score (a chat's is chat.rated)
NOTES_SAVED = "contact.notes_saved"
AGENT_STATE = "agent.state_changed"
AGENT_WRAPUP_EXTENDED = "agent.wrapup_extended"
AGENT_WRAPUP_ENDED = "agent.wrapup_ended"
AGENT_ACCOUNT = "agent.account_changed"
QUEUE_CHANGED = "queue.changed"
# The chat channel (docs/chat.md): a message stored, receipts moved, a rating, a left message.
CHAT_MESSAGE = "chat.message"
CHAT_RECEIPT = "chat.receipt"
CHAT_RATED = "chat.rated"
CHAT_CALLBACK = "chat.callback_requested"
# Care and win-back work (docs/care.md): a rule made a task, a task waits (discipline), a
# task's wrap-up recorded its outcome.
CARE_TASK_MADE = "care.task_made"
CARE_TASK_HELD = "care.task_held"
CARE_TASK_DONE = "care.task_done"
# Promises and complaints as the CRM doctrine treats them (docs/promises.md): a promise made,
# kept, broken, escalated to its owner's supervisors once past due; a complaint's status moved.
PROMISE_MADE = "promise.made"
PROMISE_KEPT = "promise.kept"
PROMISE_BROKEN = "promise.broken"
PROMISE_ESCALATED = "promise.escalated"
COMPLAINT_CHANGED = "complaint.changed"
AGENT_REASSIGNED = "agent.reassigned"
