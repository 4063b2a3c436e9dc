"""IVR media: RTP packets, SDP offer/answer, RFC 4733 keys, PCMU prompts and the 20 ms
pacer (pure modules), and the asyncio sockets and timing loop around them (``transport``)."""
