"""Shared mode: several Hotline processes form one contact center over Redis.

The live state is replicated by a command log (docs/scale-out.md, "Architecture"): every
routing command, from whichever process, is appended to one Redis stream, and every process
applies the whole stream, in its order, to its own copy of the pure router. Same start, same
commands, same times -> the same state and the same events, with the same sequence numbers,
in every process. A lease names the one process that fires timers, writes the record and
takes snapshots; anything else any process does.
"""
