"""What every Grassmann classifier shares."""

from sklearn.base import ClassifierMixin


class _SubspaceClassifierMixin(ClassifierMixin):
    """Mixin for classifiers that model each class as a subspace through the origin.

    Declares scikit-learn's ``poor_score`` tag: the isotropic blobs of its
    accuracy check carry no subspace structure (on 2-d input each sample is a
    sign-blind line through the origin), so that check's score does not apply.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags
