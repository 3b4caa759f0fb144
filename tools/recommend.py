"""Item-item co-purchase recommendations with a segment-popularity fallback.

Customers × products is a sparse 0/1 matrix X (bought at least once); X'X counts how many
customers bought each pair, and cosine normalisation turns it into item similarity. A
customer's score for a product is the sum of its similarity to everything they bought; products
they already bought are left out. Customers with no co-purchase signal get what is most popular
in their segment, then overall. Each recommendation carries its reason in words.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tools.errors import TierwiseError
from tools.verdicts import MARGINS, judge, mean_difference_ci

CHUNK = 20_000


class CoPurchaseRecommender:
    def fit(self, pairs: pd.DataFrame, *, segments: pd.Series | None = None) -> "CoPurchaseRecommender":
        """pairs: distinct (customer_id, product) bought; segments: customer_id -> segment name."""
        pairs = pairs.dropna(subset=["customer_id", "product"]).drop_duplicates(["customer_id", "product"])
        if pairs.empty:
            raise TierwiseError("Recommendations need a product column with values; this dataset has none.")
        cust = pd.Categorical(pairs["customer_id"])
        prod = pd.Categorical(pairs["product"])
        self.products_ = np.asarray(prod.categories, dtype=object)
        self.customer_index_ = pd.Index(cust.categories)
        x = sp.csr_matrix((np.ones(len(pairs), dtype=np.float32), (cust.codes, prod.codes)),
                          shape=(len(cust.categories), len(prod.categories)))
        self.bought_ = x
        co = (x.T @ x).toarray().astype(np.float64)
        counts = np.diag(co).copy()
        norm = np.sqrt(np.outer(counts, counts))
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(norm > 0, co / norm, 0.0)
        np.fill_diagonal(sim, 0.0)
        self.similarity_ = sim
        self.popularity_ = counts
        self.segment_popularity_: dict[str, np.ndarray] = {}
        self.segments_ = None
        if segments is not None:
            seg = segments.reindex(self.customer_index_)
            self.segments_ = seg
            for name in seg.dropna().unique():
                rows = np.flatnonzero((seg == name).to_numpy())
                self.segment_popularity_[name] = np.asarray(x[rows].sum(axis=0)).ravel()
        return self

    def _check(self) -> None:
        if not hasattr(self, "similarity_"):
            raise TierwiseError("Fit the recommender before asking for recommendations.")

    def recommend(self, customer_ids, k: int = 10, *, with_reasons: bool = True) -> pd.DataFrame:
        """Top-k new-to-the-customer products per customer, with score and reason."""
        self._check()
        ids = pd.Index(pd.Series(customer_ids, dtype=object).astype(str))
        rows = self.customer_index_.get_indexer(ids)
        out = []
        for start in range(0, len(ids), CHUNK):
            out.append(self._recommend_chunk(ids[start:start + CHUNK], rows[start:start + CHUNK], k, with_reasons))
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(
            columns=["customer_id", "rank", "product", "score", "reason"])

    def _recommend_chunk(self, ids, rows, k, with_reasons) -> pd.DataFrame:
        known = rows >= 0
        n_items = len(self.products_)
        owned = np.zeros((len(ids), n_items), dtype=np.float32)
        if known.any():
            owned[known] = self.bought_[rows[known]].toarray()
        scores = owned @ self.similarity_
        fallback = np.tile(self.popularity_ / max(self.popularity_.max(), 1), (len(ids), 1))
        if self.segments_ is not None and known.any():
            seg = self.segments_.to_numpy()[rows[known]]
            for name, pop in self.segment_popularity_.items():
                mask = np.zeros(len(ids), dtype=bool)
                mask[np.flatnonzero(known)[seg == name]] = True
                fallback[mask] = pop / max(pop.max(), 1)
        # co-purchase scores dominate; popularity (scaled below any real co-purchase) breaks ties
        has_signal = scores.max(axis=1) > 0
        combined = np.where(has_signal[:, None], scores + 1e-6 * fallback, fallback)
        combined[owned > 0] = -np.inf
        kk = min(k, n_items)
        top = np.argsort(-combined, axis=1, kind="stable")[:, :kk]
        top_scores = np.take_along_axis(combined, top, axis=1)
        cust = np.repeat(np.asarray(ids, dtype=object), kk)
        frame = pd.DataFrame({
            "customer_id": cust,
            "rank": np.tile(np.arange(1, kk + 1), len(ids)),
            "product": self.products_[top.ravel()],
            "score": top_scores.ravel(),
            "_row": np.repeat(np.arange(len(ids)), kk),
            "_item": top.ravel(),
        })
        frame = frame[np.isfinite(frame["score"])]
        if with_reasons:
            frame["reason"] = self._reasons(frame, owned, has_signal, rows)
        return frame.drop(columns=["_row", "_item"])

    def _reasons(self, frame: pd.DataFrame, owned: np.ndarray, has_signal: np.ndarray, rows) -> list[str]:
        # the owned product that contributes most to each recommendation names the reason
        contrib = owned[frame["_row"].to_numpy()] * self.similarity_[:, frame["_item"].to_numpy()].T
        best = contrib.argmax(axis=1)
        reasons = []
        seg = self.segments_.to_numpy() if self.segments_ is not None else None
        for i, (r, b) in enumerate(zip(frame["_row"].to_numpy(), best)):
            if has_signal[r] and contrib[i, b] > 0:
                reasons.append(f"often bought together with {self.products_[b]}")
            elif seg is not None and rows[r] >= 0 and isinstance(seg[rows[r]], str):
                reasons.append(f"popular with {seg[rows[r]].replace('_', ' ')} customers")
            else:
                reasons.append("popular with all customers")
        return reasons


def popularity_baseline(pairs: pd.DataFrame, customer_ids, k: int = 10) -> pd.DataFrame:
    """Plain popularity: the k most-bought products each customer has not bought yet."""
    rec = CoPurchaseRecommender().fit(pairs)
    rec.similarity_ = np.zeros_like(rec.similarity_)
    return rec.recommend(customer_ids, k, with_reasons=False)


def hit_rate(recommendations: pd.DataFrame, future_pairs: pd.DataFrame) -> float:
    """Share of customers who later bought at least one of the products recommended to them."""
    customers = recommendations["customer_id"].unique()
    if len(customers) == 0:
        return float("nan")
    hits = recommendations.merge(future_pairs[["customer_id", "product"]].drop_duplicates(),
                                 on=["customer_id", "product"])
    return hits["customer_id"].nunique() / len(customers)


def evaluate(pairs_before: pd.DataFrame, pairs_after: pd.DataFrame, *, k: int = 10,
             segments: pd.Series | None = None, max_customers: int = 20_000, seed: int = 42) -> dict[str, Any]:
    """Hit-rate@k on a time split for customers who bought both before and after the split."""
    new = pairs_after.merge(pairs_before, on=["customer_id", "product"], how="left", indicator=True)
    new = new[new["_merge"] == "left_only"][["customer_id", "product"]]
    eligible = np.intersect1d(pairs_before["customer_id"].unique(), new["customer_id"].unique())
    if len(eligible) == 0:
        raise TierwiseError("Too little data to test recommendations: nobody bought a new product after the split.")
    rng = np.random.default_rng(seed)
    if len(eligible) > max_customers:
        eligible = rng.choice(eligible, size=max_customers, replace=False)
    model = CoPurchaseRecommender().fit(pairs_before, segments=segments)
    ours = _hits(model.recommend(eligible, k, with_reasons=False), new, eligible)
    base = _hits(popularity_baseline(pairs_before, eligible, k), new, eligible)
    gain, ci = mean_difference_ci(ours - base)
    rate, base_rate = float(ours.mean()), float(base.mean())
    verdict = judge(model="recommender", metric=f"hit-rate@{k}", model_value=rate, baseline_value=base_rate,
                    baseline_name="the most popular products", difference=gain, ci=ci,
                    margin=MARGINS["hit_rate_lift"] * base_rate, n=len(eligible),
                    fallback="the most popular products the customer has not bought")
    return {"k": k, "customers_evaluated": int(len(eligible)), "hit_rate": rate,
            "popularity_hit_rate": base_rate, "lift_over_popularity": rate / base_rate if base_rate else None,
            "verdict": verdict}


def _hits(recommendations: pd.DataFrame, future_pairs: pd.DataFrame, customers) -> np.ndarray:
    """1.0 for each customer (in the order given) who later bought one of the products recommended to them."""
    hits = recommendations.merge(future_pairs[["customer_id", "product"]].drop_duplicates(),
                                 on=["customer_id", "product"])
    return pd.Index(customers).isin(hits["customer_id"].unique()).astype(float)
