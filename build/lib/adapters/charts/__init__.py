"""Charts for digests, drawn with matplotlib (Agg, no display) as PNG bytes."""

from adapters.charts.digest_charts import render_digest_charts

__all__ = ["render_digest_charts"]
