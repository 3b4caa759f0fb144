"""Personas: K-Means on scaled behaviour features, k by silhouette, named from distinctive traits.

The features are log-scaled where heavy-tailed, then standardised. k is chosen in 3..8 by the
mean silhouette on a fixed-size sample; the final model is fitted on every customer. Each cluster
is named from its two most distinctive traits (largest standardised difference of the cluster's
median from everyone's), e.g. "Frequent big-basket customers". A 2-D PCA of the same scaled
space gives the map.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from tools.compute import idle_cores
from tools.errors import TierwiseError

K_RANGE = range(3, 9)
SILHOUETTE_SAMPLE = 6000
MAP_POINTS = 3000
MIN_CUSTOMERS = 200

# trait column -> (transform, word when high, word when low)
TRAITS: dict[str, tuple[str, str, str]] = {
    "orders": ("log", "frequent", "one-off"),
    "aov": ("log", "big-basket", "bargain"),
    "recency_days": ("linear", "lapsed", "recently active"),
    "tenure_days": ("linear", "long-standing", "new"),
    "distinct_categories": ("linear", "multi-category", "single-category"),
    "gap_mean_days": ("log", "slow-cycle", "quick-return"),
}
CHANNEL_WORDS = {"web": ("web-first", "rarely-web"), "app": ("app-first", "rarely-app"),
                 "store": ("in-store", "rarely-in-store")}


PROFILE_COLUMNS = ("orders", "aov", "total_spend", "recency_days", "tenure_days", "distinct_categories")


def design_columns(available) -> list[str]:
    """The feature columns `fit_personas` reads: traits, channel shares and profile columns."""
    wanted = [*TRAITS, *PROFILE_COLUMNS, *[c for c in available if c.startswith("share_ch_")]]
    return [c for c in dict.fromkeys(wanted) if c in available]


def _design(features: pd.DataFrame, fill: dict[str, float] | None = None) -> pd.DataFrame:
    """The clustering's columns; a trait's missing values get `fill`'s value, by default the largest seen."""
    cols: dict[str, pd.Series] = {}
    for name, (transform, _, _) in TRAITS.items():
        if name not in features:
            continue
        values = pd.to_numeric(features[name], errors="coerce").astype(float)
        # customers without a second purchase have no gap: treat them as the slowest cycle seen
        if fill is not None and name in fill:
            values = values.fillna(fill[name])
        else:
            values = values.fillna(values.max() if values.notna().any() else 0.0)
        cols[name] = np.log1p(values.clip(lower=0)) if transform == "log" else values
    for column in features.columns:
        if column.startswith("share_ch_") and column != "share_ch_other":
            cols[column] = features[column].astype(float).fillna(0.0)
    return pd.DataFrame(cols, index=features.index)


def _fills(features: pd.DataFrame) -> dict[str, float]:
    """The values _design gave each trait's missing entries in this fit."""
    out = {}
    for name in TRAITS:
        if name in features:
            values = pd.to_numeric(features[name], errors="coerce").astype(float)
            out[name] = float(values.max()) if values.notna().any() else 0.0
    return out


ASSIGN_BLOCK = 65536  # customers placed at a time: the blocks' arrays stay small (a million at once cost more)


def assign_personas(features: pd.DataFrame, model: dict[str, Any]) -> np.ndarray:
    """Each customer's persona name under a fit's `model` (fit_personas' result), without refitting."""
    codes, names = persona_codes(features, model)
    return names[codes]


def persona_codes(features: pd.DataFrame, model: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's persona as a position in the names (also returned): the nearest cluster centre in the fit's
    scaled space, as K-Means assigns (computed directly: k is at most 8), a block of customers at a time over
    _design's columns."""
    from threadpoolctl import threadpool_limits

    scaler, centers = model["scaler"], model["kmeans"].cluster_centers_
    columns = [_design_column(features, name, model["fill"]) for name in model["columns"]]
    offset = (centers ** 2).sum(axis=1)[None, :]  # |x|² is the same for every centre
    nearest = np.empty(len(features), dtype=np.intp)
    with threadpool_limits(limits=1, user_api="blas"):  # small products: BLAS threads would only contend
        for start in range(0, len(features), ASSIGN_BLOCK):
            block = np.column_stack([c[start:start + ASSIGN_BLOCK] for c in columns])
            scaled = (block - scaler.mean_) / scaler.scale_
            nearest[start:start + ASSIGN_BLOCK] = np.argmin(offset - 2.0 * (scaled @ centers.T), axis=1)
    return np.asarray(model["relabel"])[nearest], np.asarray(model["names"])


def _design_column(features: pd.DataFrame, name: str, fill: dict[str, float] | None) -> np.ndarray:
    """One column of _design(features, fill), as a float array."""
    if name.startswith("share_ch_"):
        return features[name].astype(float).fillna(0.0).to_numpy(dtype=float)
    transform = TRAITS[name][0]
    series = features[name]
    values = (series.to_numpy(dtype=float, na_value=np.nan) if pd.api.types.is_numeric_dtype(series.dtype)
              else pd.to_numeric(series, errors="coerce").astype(float).to_numpy(dtype=float))
    missing = np.isnan(values)
    if missing.any():
        values = values.copy()
        if fill is not None and name in fill:
            values[missing] = fill[name]
        else:
            values[missing] = np.nanmax(values) if (~missing).any() else 0.0
    return np.log1p(np.clip(values, 0, None)) if transform == "log" else values


def _name(deltas: pd.Series, traits: int = 2) -> str:
    """'Frequent big-basket customers': the words of the cluster's `traits` most distinctive traits."""
    top = deltas.abs().sort_values(ascending=False, kind="stable").index[:traits]
    words = []
    for trait in top:
        high = deltas[trait] > 0
        if trait.startswith("share_ch_"):
            pair = CHANNEL_WORDS.get(trait.removeprefix("share_ch_"),
                                     (f"{trait.removeprefix('share_ch_')}-first", f"rarely-{trait.removeprefix('share_ch_')}"))
        else:
            pair = TRAITS[trait][1:]
        words.append(pair[0] if high else pair[1])
    return f"{words[0].capitalize()} {' '.join(words[1:])} customers"


def persona_names(deltas: dict[int, pd.Series]) -> dict[int, str]:
    """A name for each cluster from its two most distinctive traits; clusters that would share a name are told
    apart by their next most distinctive traits, one more at a time, so no two personas read alike."""
    traits = {cid: 2 for cid in deltas}
    while True:
        names = {cid: _name(d, traits[cid]) for cid, d in deltas.items()}
        seen = pd.Series(names).value_counts()
        clashing = [cid for cid, name in names.items() if seen[name] > 1 and traits[cid] < len(deltas[cid])]
        if not clashing:
            break
        for cid in clashing:
            traits[cid] += 1
    seen = pd.Series(names).value_counts()
    # the same words on every trait: a cluster alike in kind, told apart by its size rank
    return {cid: name if seen[name] == 1 else f"{name} ({cid + 1})" for cid, name in names.items()}


def fit_personas(features: pd.DataFrame, *, seed: int = 42, k: int | None = None) -> dict[str, Any]:
    """Cluster customers; returns assignments, profiles, the PCA map and a model card."""
    if len(features) < MIN_CUSTOMERS:
        raise TierwiseError(
            f"Personas need at least {MIN_CUSTOMERS} customers with orders; this dataset has {len(features)}."
        )
    design = _design(features)
    scaler = StandardScaler().fit(design.to_numpy())
    scaled = scaler.transform(design.to_numpy())
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(scaled), size=min(SILHOUETTE_SAMPLE, len(scaled)), replace=False)
    silhouettes = {}
    candidates = [k] if k else list(K_RANGE)
    for kk in candidates:
        with idle_cores():
            model = KMeans(n_clusters=kk, n_init=4, random_state=seed).fit(scaled[sample])
        silhouettes[kk] = float(silhouette_score(scaled[sample], model.labels_))
    best_k = max(silhouettes, key=silhouettes.get)
    with idle_cores():
        km = KMeans(n_clusters=best_k, n_init=10, random_state=seed).fit(scaled)
    labels = km.labels_
    # Order clusters by size so persona ids are stable regardless of K-Means' internal numbering
    sizes = np.bincount(labels, minlength=best_k)
    order = np.argsort(-sizes, kind="stable")
    relabel = np.empty_like(order)
    relabel[order] = np.arange(best_k)
    labels = relabel[labels]
    centers = km.cluster_centers_[order]

    scaled_df = pd.DataFrame(scaled, columns=design.columns)
    names = persona_names({cid: scaled_df[labels == cid].median() for cid in range(best_k)})

    raw = features.assign(persona_id=labels)
    profile_cols = [c for c in PROFILE_COLUMNS if c in features]
    profiles = raw.groupby("persona_id")[profile_cols].median()
    profiles.insert(0, "customers", np.bincount(labels, minlength=best_k))
    profiles.insert(1, "share", profiles["customers"] / len(labels))
    profiles.insert(0, "persona", [names[i] for i in profiles.index])
    name_of = np.array([names[i] for i in range(best_k)], dtype=object)  # cluster id -> name, by indexing

    pca = PCA(n_components=2, random_state=seed).fit(scaled)
    points = rng.choice(len(scaled), size=min(MAP_POINTS, len(scaled)), replace=False)
    xy = pca.transform(scaled[points])
    return {
        "assignments": pd.DataFrame({"customer_id": features["customer_id"].to_numpy(),
                                     "persona_id": labels,
                                     "persona": name_of[labels]}),
        "profiles": profiles.reset_index(),
        "map": pd.DataFrame({"customer_id": features["customer_id"].to_numpy()[points],
                             "x": xy[:, 0], "y": xy[:, 1], "persona": name_of[labels[points]]}),
        "centers_2d": pca.transform(centers).tolist(),
        # what `assign_personas` needs to place customers later without refitting
        "model": {"columns": list(design.columns), "scaler": scaler, "kmeans": km, "relabel": relabel,
                  "names": name_of, "fill": _fills(features)},
        "card": {
            "model": "personas",
            "definition": "K-Means on standardised behaviour features; k chosen by silhouette.",
            "features": list(design.columns),
            "k": best_k,
            "silhouette_by_k": silhouettes,
            "silhouette": silhouettes[best_k],
            "pca_explained_variance": [float(v) for v in pca.explained_variance_ratio_],
            "names": [names[i] for i in range(best_k)],
            "seed": seed,
        },
    }
