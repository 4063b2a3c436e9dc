"""SIP: the parser (:func:`ivr.sip.message.parse`), RFC 3261 server transactions, the UDP and
TCP transport and the endpoint core. An adapter library: it knows nothing of the application."""
