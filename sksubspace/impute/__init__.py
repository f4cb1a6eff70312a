"""Matrix completion: imputers that fit a low-rank model to the observed entries.

Dense input marks missing entries with ``missing_values`` (NaN by default);
in SciPy sparse input the stored entries are the observed ones. ``fit`` on
training rows, ``transform`` folds new rows in against the fitted column
factors, ``predict_entries`` predicts given (row, column) pairs.
"""

from ._altmin import AltMinCompletion
from ._factorized import FactorizedCompletion
from ._path import soft_impute_path
from ._soft_impute import SoftImpute

__all__ = ["AltMinCompletion", "FactorizedCompletion", "SoftImpute", "soft_impute_path"]
