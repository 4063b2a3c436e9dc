"""Care and win-back work (docs/care.md): rules in ``config/care.yaml`` make outbound tasks
(channel ``task``) that routing offers like contacts, held back while contact discipline
says no (an open complaint, an overdue promise, an opt-out, the contact cap)."""
