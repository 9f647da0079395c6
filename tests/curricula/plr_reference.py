"""An independent, deliberately plain numpy implementation of PLR used to check sf_curric's TaskSampler.

Written from the paper's formulas and the level-replay reference structure (per-actor, per-level partial
score tables, explicit staleness counters, step-by-step episode walking), not from sf_curric's code. It
implements the documented sf_curric choices: rank among seen levels only, partial episodes carried across
rollouts, one uniform per decision, inverse-CDF draws.
"""

import numpy as np
from scipy.stats import rankdata


class ReferencePLR:
    def __init__(
        self,
        num_tasks,
        num_actors,
        seed,
        score_transform="rank",
        temperature=0.1,
        staleness_coef=0.1,
        staleness_transform="power",
        staleness_temperature=1.0,
        replay_schedule="proportionate",
        rho=1.0,
        nu=0.5,
        alpha=1.0,
    ):
        self.n = num_tasks
        self.rng = np.random.default_rng(seed)
        self.score_transform = score_transform
        self.temperature = temperature
        self.staleness_coef = staleness_coef
        self.staleness_transform = staleness_transform
        self.staleness_temperature = staleness_temperature
        self.replay_schedule = replay_schedule
        self.rho = rho
        self.nu = nu
        self.alpha = alpha
        self.scores = np.zeros(num_tasks)
        self.unseen = np.ones(num_tasks)
        self.staleness = np.zeros(num_tasks)
        self.partial_scores = np.zeros((num_actors, num_tasks))
        self.partial_steps = np.zeros((num_actors, num_tasks), dtype=int)

    # scoring: walk every column step by step, cutting an episode after each done
    def update(self, tasks, dones, advantages, actor_ids):
        num_steps, num_cols = tasks.shape
        for col in range(num_cols):
            actor = actor_ids[col]
            segment = []
            for t in range(num_steps):
                segment.append(t)
                if dones[t, col] or t == num_steps - 1:
                    task = tasks[segment[0], col]
                    score = float(np.mean([abs(advantages[s, col]) for s in segment]))
                    self._record(actor, task, score, len(segment), finished=bool(dones[t, col]))
                    segment = []

    def _record(self, actor, task, score, steps, finished):
        old, old_steps = self.partial_scores[actor, task], self.partial_steps[actor, task]
        merged = (old * old_steps + score * steps) / (old_steps + steps)
        if finished:
            self.partial_scores[actor, task] = 0.0
            self.partial_steps[actor, task] = 0
            self.unseen[task] = 0.0
            self.scores[task] = (1 - self.alpha) * self.scores[task] + self.alpha * merged
        else:
            self.partial_scores[actor, task] = merged
            self.partial_steps[actor, task] = old_steps + steps

    def _transform(self, name, temperature, values):
        seen = self.unseen == 0
        w = np.zeros(self.n)
        if not seen.any():
            return w
        if name == "rank":
            ranks = rankdata(-values[seen], method="ordinal")
            w[seen] = (1.0 / ranks) ** (1.0 / temperature)
        elif name == "power":
            offset = 0.0 if self.staleness_coef > 0 else 1e-3
            w[seen] = (values[seen] + offset) ** (1.0 / temperature)
        else:
            raise NotImplementedError(name)
        return w

    def weights(self):
        w = self._transform(self.score_transform, self.temperature, self.scores)
        if w.sum() > 0:
            w = w / w.sum()
        if self.staleness_coef > 0:
            c = self._transform(self.staleness_transform, self.staleness_temperature, self.staleness)
            if c.sum() > 0:
                c = c / c.sum()
            w = (1 - self.staleness_coef) * w + self.staleness_coef * c
        return w

    def _inverse_cdf(self, weights):
        if weights.sum() <= 0:
            return None
        u = self.rng.random()
        return int(np.argmax(np.cumsum(weights) > u * weights.sum()))

    def _replay(self):
        # (1 - c) P_S + c P_C as a two-stage draw: which component (a uniform, when c > 0), then which level
        score = self._transform(self.score_transform, self.temperature, self.scores)
        parts = [score]
        if self.staleness_coef > 0:
            stale = self._transform(self.staleness_transform, self.staleness_temperature, self.staleness)
            parts = [stale, score] if self.rng.random() < self.staleness_coef else [score, stale]
        for weights in parts:
            index = self._inverse_cdf(weights)
            if index is not None:
                return index
        return self._inverse_cdf((self.unseen == 0).astype(float))

    def sample(self):
        n_seen = int((self.unseen == 0).sum())
        proportion_seen = n_seen / self.n
        replay = False
        if proportion_seen >= self.rho:
            u = self.rng.random()
            if self.replay_schedule == "fixed":
                replay = u > self.nu or n_seen == self.n
            else:
                replay = u < proportion_seen
        if n_seen == 0:
            replay = False
        if n_seen == self.n:
            replay = True
        if replay:
            index = self._replay()
        else:
            u = self.rng.random()
            unseen_idx = np.flatnonzero(self.unseen)
            index = int(unseen_idx[int(u * len(unseen_idx))])
        self.staleness += 1
        self.staleness[index] = 0
        return index
