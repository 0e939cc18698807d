"""The dashboard while its store's disk is full: it says so, keeps serving, loses nothing.

A fresh process runs the Train page (AppTest); its file-size limit is then lowered to 0, so
every file write fails as on a full disk, and raised again later.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from boost.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import json, resource, sys
from streamlit.testing.v1 import AppTest
from boost.runs.store import RunStore

store = RunStore()
store.create_run({"name": "waiting"})  # queued: the page tries to start a worker for it
at = AppTest.from_file(sys.argv[1], default_timeout=60).run().switch_page("pages/train.py")
hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))  # the disk is full
at.run()
at.text_input(key="train_name").input("while full").run()
at.button(key="train_launch").click().run()
full = {"exceptions": [e.value for e in at.exception], "errors": [e.value for e in at.error],
        "warnings": [w.value for w in at.warning]}
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # space again
at.button(key="train_launch").click().run()
print(json.dumps({"full": full, "after": {"exceptions": [e.value for e in at.exception],
                  "success": [s.value for s in at.success]}}))
"""


def test_a_full_disk_is_reported_and_launching_works_again_once_freed(home: Path) -> None:
    env = {**os.environ, "BOOST_HOME": str(home), "BOOST_SLOTS": "1"}
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(ROOT / "app.py")], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=180, check=True)  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    full, after = result["full"], result["after"]
    assert full["exceptions"] == []  # the page kept working
    assert any("cannot write the run store" in e.replace("\\", "") and "Not launched" in e
               for e in full["errors"]), full  # fmt: skip
    assert any("go on by themselves" in w for w in full["warnings"]), full
    assert after["exceptions"] == [] and any("Queued run" in s for s in after["success"])
    store = RunStore(home)
    names = sorted(r.name for r in store.list_runs())
    assert names == ["waiting", "while full"]  # nothing lost, nothing half-written
    for w in store.workers():  # the page started a worker once it could
        os.kill(w["pid"], 9)
