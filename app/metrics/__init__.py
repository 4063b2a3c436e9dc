"""Contact-centre figures, pure: service level and friends (figures), Erlang C (erlang).
No I/O, no clock: the supervisor feed and the reports feed them what happened."""
