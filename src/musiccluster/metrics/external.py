"""External cluster-quality metrics: agreement between clusters and known labels.

Used by chapter *Evaluation*. Every metric compares a clustering with the
corpus labels (GTZAN's genres, the default corpus's styles); none of them is
used by the clustering itself.

=================  =====================================================================
``ari``            adjusted Rand index (Hubert & Arabie 1985): pair agreement, 0 for chance
``ami``            adjusted mutual information: mutual information, 0 for chance
``nmi``            normalised mutual information, arithmetic mean of the two entropies
``homogeneity``    each cluster holds one label (1 = yes)
``completeness``   each label lies in one cluster (1 = yes)
``v_measure``      harmonic mean of the two; with scikit-learn's default (arithmetic)
                   normalisation it is the same number as ``nmi``
``purity``         share of items in their cluster's majority label (many clusters may
                   map to one label, so it rises with k)
``accuracy``       share of items correctly labelled after the best one-to-one matching of
                   clusters to labels (Hungarian algorithm, :func:`scipy.optimize.linear_sum_assignment`);
                   with fewer clusters than labels, some labels are always wrong
=================  =====================================================================

:func:`external_scores` computes them with scikit-learn. :func:`scores_from_contingency`
computes all but AMI from contingency tables, vectorised over many tables at
once, for the clip bootstrap of :mod:`musiccluster.evaluation` (the tests check it
against scikit-learn).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm
from sklearn.metrics.cluster import contingency_matrix

#: The external metrics, in reporting order.
EXTERNAL_METRICS: tuple[str, ...] = ("ari", "ami", "nmi", "homogeneity", "completeness", "v_measure",
                                     "purity", "accuracy")


def contingency(labels_true: np.ndarray, labels_pred: np.ndarray) -> np.ndarray:
    """Counts of (label, cluster) pairs: rows are labels, columns clusters (sorted)."""
    return contingency_matrix(np.asarray(labels_true), np.asarray(labels_pred))


def purity(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Share of items whose label is the most frequent label of their cluster."""
    c = contingency(labels_true, labels_pred)
    return float(c.max(axis=0).sum() / c.sum())


def hungarian_accuracy(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Accuracy after matching clusters to labels one to one so that it is highest.

    Works for any numbers of clusters and labels: unmatched clusters (when
    there are more clusters than labels) count as wrong.
    """
    c = contingency(labels_true, labels_pred)
    rows, cols = linear_sum_assignment(c, maximize=True)
    return float(c[rows, cols].sum() / c.sum())


def external_scores(labels_true: np.ndarray, labels_pred: np.ndarray) -> dict[str, float]:
    """All :data:`EXTERNAL_METRICS` of a clustering against labels (scikit-learn and scipy).

    Parameters
    ----------
    labels_true : array-like of shape (n,)
        Known labels (any hashable values).
    labels_pred : array-like of shape (n,)
        Cluster assignments.

    Returns
    -------
    dict
        Metric name -> value. All are 1 for a perfect clustering, whatever the
        cluster numbering.
    """
    t, p = np.asarray(labels_true), np.asarray(labels_pred)
    h, c, v = skm.homogeneity_completeness_v_measure(t, p)
    return {
        "ari": float(skm.adjusted_rand_score(t, p)),
        "ami": float(skm.adjusted_mutual_info_score(t, p)),
        "nmi": float(skm.normalized_mutual_info_score(t, p)),
        "homogeneity": float(h), "completeness": float(c), "v_measure": float(v),
        "purity": purity(t, p), "accuracy": hungarian_accuracy(t, p),
    }


def _entropy(counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Entropy (nats) of the count vectors along the last axis; ``n`` their totals."""
    p = counts / n[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0).sum(axis=-1)


def scores_from_contingency(tables: np.ndarray) -> dict[str, np.ndarray]:
    """ARI, NMI, homogeneity, completeness, V-measure, purity and accuracy of contingency tables.

    Parameters
    ----------
    tables : ndarray of shape (..., n_labels, n_clusters)
        Counts (or integer weights, e.g. bootstrap multiplicities); the metrics
        are computed for each table of the leading axes at once.

    Returns
    -------
    dict of str to ndarray
        Each of shape ``tables.shape[:-2]``. Same values as scikit-learn's
        functions on the label arrays that produce the tables (AMI is left out:
        its chance correction is too slow to vectorise).
    """
    C = np.asarray(tables, dtype=np.float64)
    lead = C.shape[:-2]
    n = C.sum(axis=(-2, -1))
    a, b = C.sum(axis=-1), C.sum(axis=-2)

    def comb2(x):
        return x * (x - 1.0) / 2.0

    index, sa, sb, total = comb2(C).sum(axis=(-2, -1)), comb2(a).sum(-1), comb2(b).sum(-1), comb2(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(total > 0, sa * sb / total, 0.0)
        denom = (sa + sb) / 2.0 - expected
        ari = np.where(denom == 0, 1.0, (index - expected) / denom)
        ht, hp = _entropy(a, n), _entropy(b, n)
        outer = a[..., :, None] * b[..., None, :]
        ratio = np.where(C > 0, C * n[..., None, None] / np.where(outer > 0, outer, 1.0), 1.0)
        mi = np.clip((C / n[..., None, None] * np.log(ratio)).sum(axis=(-2, -1)), 0.0, None)
        homogeneity = np.where(ht > 0, mi / ht, 1.0)
        completeness = np.where(hp > 0, mi / hp, 1.0)
        hc = homogeneity + completeness
        v = np.where(hc > 0, 2 * homogeneity * completeness / np.where(hc > 0, hc, 1.0), 0.0)
        both_single = (np.count_nonzero(a, axis=-1) == 1) & (np.count_nonzero(b, axis=-1) == 1)
        nmi = np.where(both_single, 1.0, np.where(mi > 0, mi / np.maximum((ht + hp) / 2, np.finfo(float).eps), 0.0))
    purity_ = C.max(axis=-2).sum(axis=-1) / n
    flat = C.reshape((-1,) + C.shape[-2:])
    acc = np.empty(len(flat))
    for i, table in enumerate(flat):
        r, c = linear_sum_assignment(table, maximize=True)
        acc[i] = table[r, c].sum()
    accuracy = acc.reshape(lead) / n
    return {"ari": ari, "nmi": nmi, "homogeneity": homogeneity, "completeness": completeness,
            "v_measure": v, "purity": purity_, "accuracy": accuracy}


def contingency_cells(true_codes: np.ndarray, pred_codes: np.ndarray, n_labels: int,
                      n_clusters: int) -> np.ndarray:
    """One row per item, one column per contingency cell (label x cluster), 1 where the item falls.

    Summing the rows, weighted by how often a resample repeats each item, gives that resample's
    contingency table: :func:`weighted_contingency`, and the clip bootstrap of chapter *Evaluation*.

    Chapter: Evaluation.
    """
    cell = np.asarray(true_codes) * n_clusters + np.asarray(pred_codes)
    onehot = np.zeros((len(cell), n_labels * n_clusters))
    onehot[np.arange(len(cell)), cell] = 1.0
    return onehot


def weighted_contingency(true_codes: np.ndarray, pred_codes: np.ndarray, weights: np.ndarray,
                         n_labels: int, n_clusters: int) -> np.ndarray:
    """Contingency tables of one labelling under many row weightings.

    Chapter: Evaluation.

    Parameters
    ----------
    true_codes, pred_codes : int arrays of shape (n,)
        Label and cluster codes in ``range(n_labels)`` / ``range(n_clusters)``.
    weights : ndarray of shape (n_weightings, n)
        Row multiplicities (a bootstrap resample repeats a row as often as its
        weight says).

    Returns
    -------
    ndarray of shape (n_weightings, n_labels, n_clusters)
    """
    onehot = contingency_cells(true_codes, pred_codes, n_labels, n_clusters)
    return (np.asarray(weights, dtype=np.float64) @ onehot).reshape(-1, n_labels, n_clusters)


def confusion_table(labels_true: np.ndarray, labels_pred: np.ndarray) -> "pd.DataFrame":
    """Cluster x label counts, clusters in Hungarian order: cluster *i* is matched to the *i*-th label column.

    Chapter: Experiments. Rows are the clusters (``cluster 0`` .. in the order of their matched labels,
    unmatched clusters last), columns the labels, ordered so that the matched cells lie on the diagonal
    and unmatched labels come last; the matching maximises the diagonal's sum (the Hungarian accuracy).

    Parameters
    ----------
    labels_true : array of label names, one per item
    labels_pred : array of cluster numbers, one per item

    Returns
    -------
    DataFrame of int counts, index named ``cluster``, columns named ``label``.
    """
    import pandas as pd

    labels_true, labels_pred = np.asarray(labels_true), np.asarray(labels_pred)
    names, clusters = np.unique(labels_true), np.unique(labels_pred)
    c = contingency(labels_true, labels_pred).T              # clusters x labels
    rows, cols = linear_sum_assignment(c, maximize=True)
    order = np.argsort(cols)                                 # matched pairs in label order
    row_order = [*rows[order], *[r for r in range(len(clusters)) if r not in set(rows)]]
    col_order = [*cols[order], *[k for k in range(len(names)) if k not in set(cols)]]
    table = pd.DataFrame(c[np.ix_(row_order, col_order)],
                         index=pd.Index([f"cluster {clusters[r]}" for r in row_order], name="cluster"),
                         columns=pd.Index([str(names[k]) for k in col_order], name="label"))
    return table


def cluster_sizes(labelings: dict[str, np.ndarray], k: int) -> "pd.DataFrame":
    """Items per cluster of several clusterings, one row per clustering, columns ``0..k-1``.

    Chapter: Experiments.
    """
    import pandas as pd

    return pd.DataFrame({name: np.bincount(np.asarray(lab), minlength=k) for name, lab in labelings.items()},
                        index=pd.Index(range(k), name="cluster")).T


def cross_counts(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> "pd.DataFrame":
    """Counts of every (``a``, ``b``) pair of two labelings, rows ``a``, columns ``b``.

    Chapter: Experiments (VAE clusters against PCA clusters).
    """
    import pandas as pd

    return pd.crosstab(pd.Series(np.asarray(a), name=name_a), pd.Series(np.asarray(b), name=name_b))
