"""Reports over a time range (docs/reports.md): queues, agents, grades per bucket; complaints
and satisfaction. Figures from app.metrics, SQL in app.db.repositories.reports."""
