"""Running Kopz as production does, on one machine: PostgreSQL primary and replica, pgbouncer,
Redis, an RQ worker, gunicorn instances behind nginx (``python -m deploy.cluster up``)."""
