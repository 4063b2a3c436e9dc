"""The supervisors' side of the live path: the /ws/supervisor feed and the figures the
wallboard shows (docs/supervisor.md). A subscriber of the event bus; SQL only through
app.db.repositories.supervisor."""
