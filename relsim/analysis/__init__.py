"""Analysis of runs: tables, money, figures per run, the sources' facts, statistics.

- :mod:`~relsim.analysis.simulation` runs a scenario and returns its tables;
- :mod:`~relsim.analysis.tables` turns a run's log into DataFrames;
- :mod:`~relsim.analysis.economics` ledgers, NPV, CLV (the lecture notes' Tables 7.2 and 7.3);
- :mod:`~relsim.analysis.metrics` one flat record of figures per run;
- :mod:`~relsim.analysis.patterns` the measures of the sources' patterns;
- :mod:`~relsim.analysis.facts` the sources' figures beside a run's;
- :mod:`~relsim.analysis.statistics` intervals over replications.
"""
