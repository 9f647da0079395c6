"""An independent computation of the Mastering Rate paper's teacher formulas (Willems, Lahlou & Bengio 2020).

Written from the paper's equations, with networkx for the graph and numpy.polyfit for the regressions, and none of
sf_curric's code. One `ReferenceTeacher.step(perfs)` is one call of the paper's distribution computer: append each
task's mean return to its history at the current step, estimate the learning progress, compute the attention (the
absolute learning progress, or the mastering-rate attention over the graph) and convert it to a distribution.
"""

import networkx as nx
import numpy as np


class ReferenceTeacher:
    def __init__(self, num_tasks, edges=None, mastering=True, estimator="linreg", K=10, alpha=0.1,
                 converter="prop", eps=0.1, tau=4e-4, min_returns=0.0, max_returns=0.5, mr_K=10, power=6,
                 pot_prop=0.5, pred=0.2, succ=0.05):  # fmt: skip
        self.n = num_tasks
        self.G = nx.DiGraph()
        self.G.add_nodes_from(range(num_tasks))
        self.G.add_edges_from(edges if edges is not None else [(i, i + 1) for i in range(num_tasks - 1)])
        self.mastering, self.estimator, self.K, self.alpha = mastering, estimator, K, alpha
        self.converter, self.eps, self.tau = converter, eps, tau
        self.m = np.full(num_tasks, float(min_returns)) if np.isscalar(min_returns) else np.array(min_returns, float)
        self.M = np.full(num_tasks, float(max_returns)) if np.isscalar(max_returns) else np.array(max_returns, float)
        self.r = self.m.copy()
        self.mr_K, self.p, self.g, self.d_pred, self.d_succ = mr_K, power, pot_prop, pred, succ
        self.steps = [[] for _ in range(num_tasks)]
        self.perfs = [[] for _ in range(num_tasks)]
        self.lp = np.zeros(num_tasks)
        self.t = 0

    # learning progress: the paper's section on Teacher-Student algorithms and its improvement (Linreg)
    def _lp(self, c):
        x, y = self.steps[c], self.perfs[c]
        if self.estimator == "linreg":
            if len(y) >= 2:
                self.lp[c] = np.polyfit(x[-self.K :], y[-self.K :], 1)[0]
            return
        if self.estimator == "window" and len(y) >= 2:
            immediate = np.polyfit(x[-self.K :], y[-self.K :], 1)[0]
        elif self.estimator == "naive" and len(y) >= 2:
            window = y[-self.K :]
            immediate = np.polyfit(list(range(len(window))), window, 1)[0]
        elif self.estimator == "online" and len(y) >= 2:
            immediate = y[-1] - y[-2]
        else:
            return
        self.lp[c] = self.alpha * immediate + (1 - self.alpha) * self.lp[c]

    def _mastering_rates(self):
        for c in range(self.n):
            window = self.perfs[c][-self.mr_K :]
            if window:
                mean = sum(window) / len(window)
                if len(window) == self.mr_K:
                    self.m[c], self.M[c] = min(self.m[c], mean), max(self.M[c], mean)
                self.r[c] = min(max(mean, self.m[c]), self.M[c])
        return (self.r - self.m) / (self.M - self.m)

    def _mr_attention(self):
        mast = self._mastering_rates()
        a_lp = np.abs(self.lp)
        na_lp = a_lp / a_lp.max() if a_lp.max() > 0 else a_lp
        pre = np.zeros(self.n)
        for c in range(self.n):
            anc = nx.ancestors(self.G, c)
            mast_anc = min(mast[a] for a in anc) if anc else 1.0
            succ = list(self.G.successors(c))
            mast_succ = min(mast[s] for s in succ) if succ else 0.0
            pre[c] = mast_anc**self.p * ((1 - self.g) * na_lp[c] + self.g * (1 - mast[c])) * (1 - mast_succ)
        att = pre.copy()
        for c in reversed(list(nx.topological_sort(self.G))):
            preds, succs = list(self.G.predecessors(c)), list(self.G.successors(c))
            given = self.d_pred * att[c]
            att[c] -= given
            for q in preds:
                att[q] += given / len(preds)
            given = self.d_succ * att[c]
            att[c] -= given
            for s in succs:
                att[s] += given / len(succs)
        return att

    def _convert(self, att):
        u = np.ones(self.n) / self.n
        if self.converter in ("prop", "greedy_prop"):
            q = (att + 1e-8) / np.sum(att + 1e-8)
            return q if self.converter == "prop" else (1 - self.eps) * q + self.eps * u
        if self.converter == "boltzmann":
            w = np.exp((att - att.max()) / self.tau)
            return w / w.sum()
        raise ValueError(self.converter)

    def step(self, perfs):
        self.t += 1
        for c, value in perfs.items():
            self.steps[c].append(self.t)
            self.perfs[c].append(value)
        for c in range(self.n):
            self._lp(c)
        att = self._mr_attention() if self.mastering else np.abs(self.lp)
        return self._convert(att)
