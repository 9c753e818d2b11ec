"""One step of a pipeline, tracked: reads the artifact PROV_RAW, saves PROV_OUT made from it.

Run by tests/core/test_provenance_runs.py as a subprocess against the test session's instance.
"""

import os

import lamindb_core as ln

ln.track()
raw = ln.Artifact.get(key=os.environ["PROV_RAW"])
df = raw.load()
ln.Artifact.from_df(df * 2, key=os.environ["PROV_OUT"], description="doubled").save()
ln.finish()
