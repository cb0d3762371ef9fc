"""Toy sequences for lesson 14: a two-language toy grammar for translation, and SMILES validity.

**Translation in miniature.** Every sentence of the toy pair means the same thing in two
languages. Language A reads "adjective noun verb adjective noun" ("big dog sees green cow");
language B puts each adjective after its noun and the verb last, uses other words, and gives an
adjective the form that agrees with the gender of its noun ("chien grand vache verte voit").
Words are tokens of one joint vocabulary, :data:`VOCABULARY` (A's words, then B's), so a
sentence is a row of :data:`LENGTH` token ids, and :func:`one_hot` turns it into the rows of
numbers an autoencoder reads. Because the pair is a one-to-one correspondence,
:func:`to_source` can rewrite target sentences into their sources on any device; that makes
it a ``corruption`` for :func:`aekit.fit`, which then trains an encoder-decoder from A to B.

**Molecules as strings.** :func:`is_valid_smiles` checks a small subset of SMILES, the line
notation in which molecule autoencoders read and write molecules.

>>> pairs = translation_pairs(n_train=5, n_test=2, seed=0)
>>> len(words(pairs.source_train[0]).split()) == LENGTH
True
>>> is_valid_smiles("CC(=O)O"), is_valid_smiles("CC(=O")
(True, False)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["ADJECTIVES", "NOUNS", "VERBS", "VOCABULARY", "LENGTH", "TranslationPairs",
           "translation_pairs", "one_hot", "tokens_from_one_hot", "to_source", "word_by_word",
           "translation_scores", "words", "is_valid_smiles", "VALENCE", "SMILES_SYMBOLS"]

#: (language A, language B masculine, language B feminine)
ADJECTIVES = (("big", "grand", "grande"), ("small", "petit", "petite"),
              ("green", "vert", "verte"), ("happy", "content", "contente"),
              ("slow", "lent", "lente"))
#: (language A, language B, gender in B: 0 masculine, 1 feminine)
NOUNS = (("dog", "chien", 0), ("cow", "vache", 1), ("bird", "oiseau", 0), ("hen", "poule", 1),
         ("cat", "chat", 0), ("mouse", "souris", 1), ("horse", "cheval", 0),
         ("sheep", "brebis", 1))
#: (language A, language B)
VERBS = (("sees", "voit"), ("likes", "aime"), ("follows", "suit"), ("calls", "appelle"),
         ("bites", "mord"))
#: words per sentence, in both languages
LENGTH = 5

_A_ADJ, _A_NOUN = 0, len(ADJECTIVES)                       # where each word class starts
_A_VERB = _A_NOUN + len(NOUNS)
_B_ADJ = _A_VERB + len(VERBS)                              # B: adjectives in two forms
_B_NOUN = _B_ADJ + 2 * len(ADJECTIVES)
_B_VERB = _B_NOUN + len(NOUNS)
#: every word of both languages; a token is an index into this tuple
VOCABULARY = (tuple(a[0] for a in ADJECTIVES) + tuple(n[0] for n in NOUNS)
              + tuple(v[0] for v in VERBS) + tuple(f for a in ADJECTIVES for f in a[1:])
              + tuple(n[1] for n in NOUNS) + tuple(v[1] for v in VERBS))
_GENDER = np.array([n[2] for n in NOUNS])
# B's slots (noun1, adj1, noun2, adj2, verb) hold the words of A's slots (adj1 noun1 verb adj2
# noun2) at these positions: B slot i translates A slot _ORDER[i]
_ORDER = (1, 0, 4, 3, 2)
_TARGET_ADJECTIVE_SLOTS = (1, 3)


@dataclass
class TranslationPairs:
    """Sentences of the toy language pair as token ids, shape ``(n, LENGTH)`` each (int64).

    ``source_*`` are in language A, ``target_*`` their translations into language B; no test
    sentence occurs among the training sentences.
    """

    source_train: torch.Tensor
    target_train: torch.Tensor
    source_test: torch.Tensor
    target_test: torch.Tensor


def _render(meaning: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Meanings ``(n, 5)``: (adj1, noun1, verb, adj2, noun2) indices -> tokens in A and in B."""
    adj1, noun1, verb, adj2, noun2 = meaning.T
    source = np.stack([_A_ADJ + adj1, _A_NOUN + noun1, _A_VERB + verb, _A_ADJ + adj2,
                       _A_NOUN + noun2], axis=1)
    target = np.stack([_B_NOUN + noun1, _B_ADJ + 2 * adj1 + _GENDER[noun1], _B_NOUN + noun2,
                       _B_ADJ + 2 * adj2 + _GENDER[noun2], _B_VERB + verb], axis=1)
    return source, target


def translation_pairs(n_train: int = 3000, n_test: int = 1000, seed: int = 0) -> TranslationPairs:
    """Draw distinct sentences of the toy pair and their translations; test sentences are new.

    Parameters
    ----------
    n_train, n_test : sentences in each split. There are
        ``5 * 8 * 5 * 5 * 8 = 8000`` different sentences, so ``n_train + n_test <= 8000``.
    seed : which sentences are drawn (NumPy's generator; the session's is not touched).

    Returns
    -------
    TranslationPairs
    """
    sizes = (len(ADJECTIVES), len(NOUNS), len(VERBS), len(ADJECTIVES), len(NOUNS))
    total = int(np.prod(sizes))
    for what, value in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    if n_train + n_test > total:
        raise ValueError(f"the toy language has {total} different sentences; n_train + n_test = "
                         f"{n_train + n_test} is more than that")
    chosen = np.random.default_rng(seed).permutation(total)[:n_train + n_test]
    meaning = np.stack(np.unravel_index(chosen, sizes), axis=1)  # (n, 5)
    source, target = (torch.as_tensor(t, dtype=torch.int64) for t in _render(meaning))
    return TranslationPairs(source[:n_train], target[:n_train], source[n_train:],
                            target[n_train:])


def _tokens(tokens, what: str = "tokens") -> torch.Tensor:
    if isinstance(tokens, np.ndarray):
        tokens = torch.as_tensor(tokens)
    if not isinstance(tokens, torch.Tensor) or tokens.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{what} must be an integer tensor of token ids, got "
                        f"{getattr(tokens, 'dtype', type(tokens).__name__)}")
    if tokens.dim() != 2 or tokens.shape[1] != LENGTH:
        raise ValueError(f"{what} must have shape (n, {LENGTH}), one sentence a row, got "
                         f"{tuple(tokens.shape)}")
    if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= len(VOCABULARY)):
        raise ValueError(f"{what} must be ids between 0 and {len(VOCABULARY) - 1} (the "
                         f"vocabulary), got values from {int(tokens.min())} to {int(tokens.max())}")
    return tokens.long()


def one_hot(tokens: torch.Tensor, flatten: bool = True) -> torch.Tensor:
    """Sentences of token ids ``(n, LENGTH)`` as one-hot float32 rows.

    Returns ``(n, LENGTH * len(VOCABULARY))`` rows for a dense autoencoder, or with
    ``flatten=False`` sequences ``(n, LENGTH, len(VOCABULARY))`` for a sequence autoencoder.
    The result is on the device of ``tokens``.
    """
    X = torch.nn.functional.one_hot(_tokens(tokens), len(VOCABULARY)).float()
    return X.flatten(1) if flatten else X


def tokens_from_one_hot(X: torch.Tensor) -> torch.Tensor:
    """The most likely word in each slot: rows ``(n, LENGTH * V)`` or ``(n, LENGTH, V)`` of
    scores (an autoencoder's output, say) -> token ids ``(n, LENGTH)``, on the CPU."""
    X = _sentences(X)
    return X.argmax(-1).cpu()


def _sentences(X: torch.Tensor) -> torch.Tensor:
    V = len(VOCABULARY)
    if not isinstance(X, torch.Tensor) or not X.is_floating_point():
        raise TypeError(f"expected a float tensor of one-hot sentences, got "
                        f"{getattr(X, 'dtype', type(X).__name__)}")
    if X.dim() == 2 and X.shape[1] == LENGTH * V:
        return X.reshape(len(X), LENGTH, V)
    if X.dim() == 3 and X.shape[1:] == (LENGTH, V):
        return X
    raise ValueError(f"expected one-hot sentences of shape (n, {LENGTH * V}) or "
                     f"(n, {LENGTH}, {V}), got {tuple(X.shape)}; build them with one_hot")


_TO_A = torch.arange(len(VOCABULARY))   # B word -> its A word (A words map to themselves)
for _i in range(len(ADJECTIVES)):
    _TO_A[_B_ADJ + 2 * _i: _B_ADJ + 2 * _i + 2] = _A_ADJ + _i
_TO_A[_B_NOUN:_B_VERB] = torch.arange(_A_NOUN, _A_VERB)
_TO_A[_B_VERB:] = torch.arange(_A_VERB, _B_ADJ)
# the same as a (V, V) matrix: one-hot rows times it give the A words
_TO_A_MATRIX = torch.nn.functional.one_hot(_TO_A, len(VOCABULARY)).float()
# B slot holding each A slot's word: the inverse of _ORDER
_FROM_B = torch.tensor([_ORDER.index(slot) for slot in range(LENGTH)])


def to_source(X: torch.Tensor) -> torch.Tensor:
    """Rewrite one-hot target sentences (language B) as their sources (language A).

    Keeps the shape, dtype and device of X (rows or sequences, as :func:`one_hot` gives them),
    so it can be :func:`aekit.fit`'s ``corruption``: fit then trains a model that reads A and
    is scored against B. Agreement is undone (both forms of an adjective give its A word).
    """
    S = _sentences(X)
    words_in_a_order = S.index_select(1, _FROM_B.to(X.device))      # (n, LENGTH, V)
    return (words_in_a_order @ _TO_A_MATRIX.to(X.device, X.dtype)).reshape(X.shape)


def word_by_word(source: torch.Tensor, reorder: bool = True, agreement: bool = False) -> torch.Tensor:
    """A translation by rules that look at one word at a time: a baseline for a translator.

    Each word of A is replaced by its dictionary entry in B, with an adjective in the form the
    dictionary lists first (masculine), since one word alone cannot tell the gender of the noun
    it belongs to. With ``reorder`` the words are also put in B's word order (which a fixed
    rule can do); without it they stay in A's order. With ``agreement`` an adjective also looks
    one word ahead, at its noun, and takes the form of that noun's gender: the hand-written rule
    that knows all of this grammar, and translates every sentence of it exactly.

    Returns token ids ``(n, LENGTH)`` in language B.
    """
    source = _tokens(source, "source").cpu()
    dictionary = torch.arange(len(VOCABULARY))
    dictionary[_A_ADJ:_A_NOUN] = _B_ADJ + 2 * torch.arange(len(ADJECTIVES))
    dictionary[_A_NOUN:_A_VERB] = torch.arange(_B_NOUN, _B_VERB)
    dictionary[_A_VERB:_B_ADJ] = torch.arange(_B_VERB, len(VOCABULARY))
    translated = dictionary[source]
    if agreement:
        gender = torch.as_tensor(_GENDER)
        for slot in (0, 3):  # A's adjectives; the noun follows each one
            noun = source[:, slot + 1]
            is_adjective = (source[:, slot] < _A_NOUN) & (noun >= _A_NOUN) & (noun < _A_VERB)
            feminine = gender[(noun - _A_NOUN).clamp(0, len(NOUNS) - 1)]
            translated[:, slot] += torch.where(is_adjective, feminine, torch.zeros_like(feminine))
    return translated[:, list(_ORDER)] if reorder else translated


def translation_scores(predicted: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """How good a translation into B is, against the right one.

    Returns ``{"words": ..., "sentences": ..., "adjective forms": ...}``: the fraction of
    words in the right place, of sentences right in every word, and of adjectives in the
    right form (agreeing with their noun), each in [0, 1].
    """
    predicted, target = _tokens(predicted, "predicted").cpu(), _tokens(target, "target").cpu()
    if predicted.shape != target.shape:
        raise ValueError(f"predicted and target must have the same shape, got "
                         f"{tuple(predicted.shape)} and {tuple(target.shape)}")
    if len(target) == 0:
        raise ValueError("there are no sentences to score (empty input)")
    right = predicted == target
    return {"words": float(right.float().mean()),
            "sentences": float(right.all(1).float().mean()),
            "adjective forms": float(right[:, list(_TARGET_ADJECTIVE_SLOTS)].float().mean())}


def words(tokens: torch.Tensor) -> str:
    """One sentence of token ids ``(LENGTH,)`` as text, e.g. ``"big dog sees green cow"``."""
    if isinstance(tokens, torch.Tensor) and tokens.dim() == 1:
        tokens = tokens[None]
    return " ".join(VOCABULARY[int(t)] for t in _tokens(tokens)[0])


# ----------------------------------------------------------------------------- molecules
#: bonds an atom may have (the rest of its valence is filled with implicit hydrogens)
VALENCE = {"C": 4, "N": 3, "O": 2, "F": 1}
_BOND = {"=": 2, "#": 3}
#: the symbols :func:`is_valid_smiles` knows
SMILES_SYMBOLS = tuple(VALENCE) + tuple(_BOND) + ("(", ")") + tuple("123456789")


def is_valid_smiles(text: str) -> bool:
    """Whether ``text`` is a valid molecule in a small subset of SMILES.

    The subset: uncharged, non-aromatic atoms ``C N O F`` written as single letters; single
    bonds between neighbours (implicit), double ``=`` and triple ``#`` bonds; branches in
    parentheses, ``C(=O)O``; ring closures by a digit 1-9 written after the two atoms they
    join, ``C1CCCCC1`` (with an optional bond symbol before the digit). A string is valid when
    it follows that syntax, closes every branch and ring, joins no atom to itself or twice to
    the same atom, and gives no atom more bonds than its valence (C 4, N 3, O 2, F 1; each
    double bond counts 2, each triple 3). Anything else, including an empty string, is invalid.

    On this subset it agrees with RDKit's parser (``Chem.MolFromSmiles``), which also checks
    valence, on every case of its unit tests and on all 1,152 one-symbol changes of lesson 14's
    molecules; unlike RDKit it refuses a ring bond given two different bond symbols
    (``C=1CC#1``) and the empty string.

    Examples
    --------
    >>> [is_valid_smiles(s) for s in ("CCO", "C1CCCCC1", "CC#N", "C(C", "O=O=O", "C1CC")]
    [True, True, True, False, False, False]
    """
    if not isinstance(text, str):
        raise TypeError(f"is_valid_smiles expects a string such as 'CCO', got {type(text).__name__}")
    kinds: list[str] = []       # element of each atom
    degree: list[int] = []      # bonds of each atom, counted by order
    bonded: set[tuple[int, int]] = set()
    rings: dict[str, tuple[int, int | None]] = {}   # open digit -> (atom, bond order or None)
    branches: list[int] = []    # atoms that open branches
    prev: int | None = None     # the atom the next bond starts from
    pending: int | None = None  # order of a bond symbol waiting for its atom or digit
    last = "start"              # kind of the previous symbol
    bond_after_atom = False     # whether the pending bond symbol came after an atom, a ring
                                # digit or a closed branch (not after an opening parenthesis)

    def bond(a: int, b: int, order: int) -> bool:
        pair = (min(a, b), max(a, b))
        if a == b or pair in bonded:
            return False
        bonded.add(pair)
        degree[a] += order
        degree[b] += order
        return degree[a] <= VALENCE[kinds[a]] and degree[b] <= VALENCE[kinds[b]]

    for ch in text:
        if ch in VALENCE:
            kinds.append(ch)
            degree.append(0)
            if prev is not None and not bond(prev, len(kinds) - 1, pending or 1):
                return False
            prev, pending, last = len(kinds) - 1, None, "atom"
        elif ch in _BOND:
            if prev is None or pending is not None or last == "start":
                return False
            bond_after_atom = last in ("atom", "ring", "close")
            pending, last = _BOND[ch], "bond"
        elif ch == "(":
            if last not in ("atom", "ring", "close"):
                return False
            branches.append(prev)
            last = "open"
        elif ch == ")":
            if not branches or last not in ("atom", "ring", "close"):
                return False
            prev, last = branches.pop(), "close"
        elif ch in "123456789":
            # a ring digit belongs to the atom the next bond starts from (possibly after a bond
            # symbol); like RDKit, it may follow a closed branch, as in C(C)1CC1
            if not (last in ("atom", "ring", "close") or (last == "bond" and bond_after_atom)):
                return False
            if ch in rings:
                atom, opened = rings.pop(ch)
                if pending is not None and opened is not None and pending != opened:
                    return False
                if not bond(atom, prev, pending or opened or 1):
                    return False
            else:
                rings[ch] = (prev, pending)
            pending, last = None, "ring"
        else:
            return False
    return bool(kinds) and not branches and not rings and pending is None
