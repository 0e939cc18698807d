"""What a run, a group of runs or the Augmentation Lab hands out: a standalone script, a run's zip,
a group's CSV (this package), and the Lab's variants, spec and code (`boost.export.lab`).

No Streamlit, and no TensorFlow: the dashboard imports this package.
"""

from boost.export.bundle import group_csv, run_bundle
from boost.export.script import standalone_script

__all__ = ["group_csv", "run_bundle", "standalone_script"]
