"""Plausible, deterministic demo figures for every RT: pure NumPy, no database.

The same register and seed always give the same figures. Rates vary by kelurahan
and RT, and drift gently over the months, so that trends and changes have
something to show.
"""

import numpy as np

# Indicator → (share of the base, base column): "households" or "residents".
RATES = {
    "lansia": (0.11, "residents"),
    "anak_sd": (0.095, "residents"),
    "anak_smp": (0.046, "residents"),
    "anak_sma": (0.044, "residents"),
    "balita_stunting": (0.011, "residents"),
}


def generate(
    households: np.ndarray,
    residents: np.ndarray,
    groups: np.ndarray,
    months: int,
    seed: int = 20261031,
) -> dict[str, np.ndarray]:
    """Figures per indicator as an int array of shape (RTs, months).

    ``groups`` gives each RT's kelurahan index, so neighbouring RTs share a level.
    """
    rng = np.random.default_rng(seed)
    n = len(households)
    drift = 1 + np.outer(rng.normal(0, 0.02, n), np.arange(months) - (months - 1))
    wobble = rng.normal(1, 0.03, (n, months))

    def scaled(base: np.ndarray, rate: np.ndarray) -> np.ndarray:
        return np.maximum(0, np.rint(base[:, None] * rate[:, None] * drift * wobble)).astype(int)

    group_level = rng.uniform(0.5, 1.5, groups.max() + 1)[groups]
    rt_level = group_level * rng.uniform(0.6, 1.4, n)
    figures = {
        "kk_total": np.repeat(households[:, None], months, axis=1),
        "jiwa_total": np.repeat(residents[:, None], months, axis=1),
    }
    gamis = np.minimum(scaled(households, 0.07 * rt_level), households[:, None])
    pramis = np.minimum(scaled(households, 0.11 * rt_level), households[:, None] - gamis)
    figures.update(kk_gamis=gamis, kk_pramis=pramis)
    figures["jiwa_gamis"] = gamis + np.rint(gamis * rng.uniform(1.8, 2.8, n)[:, None]).astype(int)
    for code, (rate, base) in RATES.items():
        column = households if base == "households" else residents
        figures[code] = scaled(column, rate * rng.uniform(0.8, 1.2, n))
    school = figures["anak_sd"] + figures["anak_smp"] + figures["anak_sma"]
    figures["anak_tidak_sekolah"] = np.rint(school * 0.03 * rt_level[:, None] * wobble).astype(int)
    learners = figures["anak_sd"] + figures["anak_smp"]
    figures["peserta_sinau_bareng"] = np.rint(
        learners * rng.uniform(0.0, 0.25, n)[:, None] * wobble
    ).astype(int)
    return figures
