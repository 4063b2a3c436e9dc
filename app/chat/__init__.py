"""The chat channel: customers on the company's website, routed like callers (docs/chat.md).

An adapter over the contact-center service and its events: a conversation starts a contact
(``Arrive`` with channel ``chat``, source ``chat``, the conversation id as external id), its
messages are stored before they are delivered, and the contact's events (assigned, timed
out, ended) drive what the customer sees.
"""
