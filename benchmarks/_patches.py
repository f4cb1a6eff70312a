"""8x8 patches of scikit-learn's china.jpg (grayscale), centered and scaled per patch."""

import numpy as np
from sklearn.datasets import load_sample_image
from sklearn.feature_extraction.image import extract_patches_2d


def china_patches(n_patches, random_state=0):
    img = load_sample_image("china.jpg").astype(float) @ [0.299, 0.587, 0.114] / 255.0
    P = extract_patches_2d(img, (8, 8), max_patches=n_patches, random_state=random_state)
    P = P.reshape(len(P), -1)
    P -= P.mean(axis=1, keepdims=True)
    P /= np.maximum(P.std(axis=1, keepdims=True), 1e-2)
    return P
