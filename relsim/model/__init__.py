"""The SimPy model: people, firms, staff and relationships in one simulated market.

Pure model code: it reads a validated :class:`~relsim.config.schema.Scenario` and appends
what happens to a :class:`~relsim.model.records.RunLog`; it knows nothing of tables, files,
plots or the command line. :mod:`relsim.analysis.tables` turns the log into tables.

- :mod:`~relsim.model.ladder` the rungs; :mod:`~relsim.model.causes` why people leave;
- :mod:`~relsim.model.population` people and the pool of prospects;
- :mod:`~relsim.model.staff` account managers (attention) and the service desk;
- :mod:`~relsim.model.firm` firms and their strategies; :mod:`~relsim.model.rates` per-day
  figures; :mod:`~relsim.model.relationship` the life of one relationship;
- :mod:`~relsim.model.market` the market that ties them together;
- :mod:`~relsim.model.streams` random streams; :mod:`~relsim.model.records` the run's log.
"""
