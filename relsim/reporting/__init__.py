"""Presentation: plotly figures and self-contained HTML reports of every kind of result.

Reports read only what the layers below wrote (tables, summaries), so ``relsim report DIR``
can rebuild any of them from a results folder without simulating again.
"""
