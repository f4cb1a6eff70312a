"""MovieLens-100K ratings, read from the ``recbole==1.2.1`` wheel (benchmarks only).

The wheel ships ``recbole/dataset_example/ml-100k/ml-100k.inter`` (943 users,
1682 items, 100,000 ratings on a 1-5 scale). Get it once with
``pip download --no-deps recbole==1.2.1 -d /work/ext/wheels``; the path may
also be given in ``SKSUBSPACE_ML100K_WHEEL``.
"""

import glob
import io
import os
import zipfile

import numpy as np

MEMBER = "recbole/dataset_example/ml-100k/ml-100k.inter"
SEARCH = ("/work/ext/wheels", os.path.expanduser("~/.cache/sksubspace"), ".")


def find_wheel():
    path = os.environ.get("SKSUBSPACE_ML100K_WHEEL")
    if path and os.path.exists(path):
        return path
    for folder in SEARCH:
        hits = sorted(glob.glob(os.path.join(folder, "recbole-1.2.1-*.whl")))
        if hits:
            return hits[0]
    return None


def load_ml100k(wheel=None):
    """``(users, items, ratings)``: 0-based indices and float ratings, or None without the wheel."""
    wheel = wheel or find_wheel()
    if wheel is None:
        return None
    with zipfile.ZipFile(wheel) as z:
        raw = z.read(MEMBER).decode()
    table = np.loadtxt(io.StringIO(raw), skiprows=1, usecols=(0, 1, 2))
    users = np.unique(table[:, 0], return_inverse=True)[1]
    items = np.unique(table[:, 1], return_inverse=True)[1]
    return users.astype(np.int64), items.astype(np.int64), table[:, 2]
