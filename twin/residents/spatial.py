"""A smooth random field over the plane, for spatial clustering of income."""

from __future__ import annotations

import numpy as np

N_FOURIER_FEATURES = 64
"""Random cosines summed into the field; enough for an irregular pattern of
neighbourhoods, few enough to evaluate at every home node in milliseconds."""


def smooth_random_field(
    x_m: np.ndarray,
    y_m: np.ndarray,
    *,
    length_scale_m: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """A stationary Gaussian random field evaluated at points.

    Random Fourier features: a sum of cosines with frequencies drawn from the
    spectrum of a squared-exponential covariance ``exp(-d^2 / (2 l^2))``, so
    values at points much closer than ``length_scale_m`` are nearly equal
    and those much farther apart are independent.

    Parameters
    ----------
    x_m, y_m
        Projected coordinates of the points.
    length_scale_m
        Correlation length ``l``.
    rng
        Source of the field's randomness.

    Returns
    -------
    float64 values, mean 0 and variance 1 over realisations.
    """
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    # Centre, so that the phases stay small and exact in float64.
    x = x - x.mean() if len(x) else x
    y = y - y.mean() if len(y) else y
    frequency = rng.normal(0.0, 1.0 / length_scale_m, size=(N_FOURIER_FEATURES, 2))
    phase = rng.uniform(0.0, 2.0 * np.pi, size=N_FOURIER_FEATURES)
    field = np.zeros(len(x))
    for (fx, fy), p in zip(frequency, phase):  # loop over features, vectorised over points
        field += np.cos(fx * x + fy * y + p)
    return field * np.sqrt(2.0 / N_FOURIER_FEATURES)
