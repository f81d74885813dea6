"""Statistics and public disclosure of dossier results (Quyết định 766/QĐ-TTg indicators).

How the figures stay cheap and exact (see docs in ``aggregation.py``):

* **Flows** (received, returned early / on time / late, …) are counters in pre-aggregated tables
  (``dossiers/models_stats.py``): daily and monthly per receiving agency, gov level and service
  level, and monthly per procedure. They are kept up to date **incrementally** — a listener of
  ``dossier_transitioned`` (and of new ratings) upserts the increments after commit, with a
  worker in batches by a queued task (``fold.py``), exactly once per event thanks to a
  ledger — and **rebuilt** from the dossiers by
  ``manage.py rebuild_stats [--from --to]`` with set-based queries (``rebuild.py``).
* **Stocks**: "in process" at any date is received − returned − withdrawn-after-intake summed
  over the flows before it (exact, no snapshot needed). "Overdue" depends on the clock, not on a
  transition, so it comes from ``StockSnapshot`` rows: taken live every hour by a beat task for
  today, and for past month ends by the rebuild (``stock.py``).
* **Pages and API** read only those tables, with a fixed number of queries whatever the number
  of dossiers (``queries.py``); anonymous answers are cached per URL for ``STATS_CACHE_SECONDS``
  and a rebuild or a snapshot bumps a generation so they refresh at once (``cache.py``).
"""
