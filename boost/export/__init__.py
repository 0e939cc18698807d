"""What a run or a group of runs hands out: a standalone script, a run's zip, a group's CSV.

No Streamlit, and no TensorFlow: the dashboard imports this package.
"""

from boost.export.bundle import group_csv, run_bundle
from boost.export.script import standalone_script

__all__ = ["group_csv", "run_bundle", "standalone_script"]
