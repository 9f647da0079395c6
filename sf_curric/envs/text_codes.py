"""Text observations (MiniGrid's mission, gymnasium's Text) as word codes a network can take (`--obs_text_words`).

A text becomes its first N lower-case words (runs of letters, as rl-starter-files tokenizes missions), each word a
code, 0 padding: a `MultiDiscrete([size] * N)` observation. MiniGrid's `MissionSpace` lists every mission it can
produce (its `mission_func` over its `ordered_placeholders`), so its words get exact codes (1..V for a vocabulary of
V words, sorted); any other text space hashes words into `1..--obs_text_vocab - 1` (crc32, the same in every
process), where two words may share a code.
"""

from __future__ import annotations

import itertools
import re
import zlib
from typing import Any

import numpy as np
from gymnasium import spaces

_WORD = re.compile("[a-z]+")
DEFAULT_TEXT_VOCAB = 256  # --obs_text_vocab's default
MAX_MISSIONS = 100_000  # enumerate at most this many missions of a MissionSpace (its placeholders' product)


def words(text: str) -> list[str]:
    """The lower-case words of `text` (runs of letters).

    Example:
        >>> words("Go to the red door.")
        ['go', 'to', 'the', 'red', 'door']
    """
    return _WORD.findall(str(text).lower())


def is_text_space(space: spaces.Space) -> bool:
    """gymnasium's Text, or a MiniGrid MissionSpace (strings the network cannot take as they are)."""
    return isinstance(space, spaces.Text) or type(space).__name__ in ("MissionSpace", "BabyAIMissionSpace")


def mission_vocabulary(space: spaces.Space) -> list[str] | None:
    """Every word a MiniGrid `MissionSpace` can produce, sorted (None: not an enumerable mission space)."""
    if type(space).__name__ != "MissionSpace" or not callable(getattr(space, "mission_func", None)):
        return None
    placeholders = getattr(space, "ordered_placeholders", None) or []
    vocabulary: set[str] = set()
    for combo in itertools.islice(itertools.product(*placeholders), MAX_MISSIONS):
        vocabulary.update(words(space.mission_func(*combo)))
    return sorted(vocabulary)


class TextCodes:
    """Turns the texts of one text space into `MultiDiscrete([size] * num_words)` word codes.

    Args:
        space: a text space (`is_text_space`).
        num_words: words kept per text (longer texts are cut, shorter ones padded with 0).
        hash_size: codes of a space without a vocabulary (words hashed into 1..hash_size-1).

    Example:
        >>> codes = TextCodes(spaces.Text(40), num_words=4, hash_size=64)
        >>> codes("go to the door").shape
        (4,)
    """

    def __init__(self, space: spaces.Space, num_words: int, hash_size: int):
        vocabulary = mission_vocabulary(space)
        self.num_words = num_words
        self.index = None if vocabulary is None else {word: i + 1 for i, word in enumerate(vocabulary)}
        self.size = hash_size if self.index is None else len(self.index) + 1
        self.space = spaces.MultiDiscrete([self.size] * num_words)

    def _code(self, word: str) -> int:
        if self.index is not None:
            return self.index.get(word, 0)
        return 1 + zlib.crc32(word.encode()) % (self.size - 1)

    def __call__(self, text: Any) -> np.ndarray:
        out = np.zeros(self.num_words, np.int64)
        for i, word in enumerate(words(text)[: self.num_words]):
            out[i] = self._code(word)
        return out
