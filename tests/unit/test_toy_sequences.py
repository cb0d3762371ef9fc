"""The toy language pair and the SMILES checker of lesson 14 (aekit.applications.toy_sequences)."""
import pytest
import torch

from aekit.applications.toy_sequences import (ADJECTIVES, LENGTH, NOUNS, VERBS, VOCABULARY, is_valid_smiles,
                                 one_hot, to_source, tokens_from_one_hot, translation_pairs,
                                 translation_scores, word_by_word, words)


def test_sentences_follow_the_grammar_of_each_language():
    pairs = translation_pairs(n_train=200, n_test=50, seed=3)
    gender = {n[1]: n[2] for n in NOUNS}
    for source, target in zip(pairs.source_train, pairs.target_train):
        adj1, noun1, verb, adj2, noun2 = words(source).split()
        t_noun1, t_adj1, t_noun2, t_adj2, t_verb = words(target).split()
        a = {e[0]: e for e in ADJECTIVES}
        n = {e[0]: e[1] for e in NOUNS}
        assert (t_noun1, t_noun2, t_verb) == (n[noun1], n[noun2], dict(VERBS)[verb])
        # each adjective takes the form of its own noun's gender
        assert t_adj1 == a[adj1][1 + gender[t_noun1]] and t_adj2 == a[adj2][1 + gender[t_noun2]]


def test_test_sentences_are_new_and_the_draw_follows_the_seed():
    pairs = translation_pairs(n_train=3000, n_test=1000, seed=0)
    train = {tuple(s.tolist()) for s in pairs.source_train}
    assert len(train) == 3000
    assert not train & {tuple(s.tolist()) for s in pairs.source_test}
    again = translation_pairs(n_train=3000, n_test=1000, seed=0)
    assert torch.equal(again.target_test, pairs.target_test)
    assert not torch.equal(translation_pairs(3000, 1000, seed=1).source_train, pairs.source_train)
    assert pairs.source_train.dtype == torch.int64 and pairs.source_train.shape == (3000, LENGTH)


def test_one_hot_round_trips_and_to_source_rewrites_targets_as_sources():
    pairs = translation_pairs(n_train=100, n_test=10, seed=1)
    X = one_hot(pairs.target_train)
    assert X.shape == (100, LENGTH * len(VOCABULARY)) and X.dtype == torch.float32
    assert torch.equal(tokens_from_one_hot(X), pairs.target_train)
    assert torch.equal(to_source(X), one_hot(pairs.source_train))
    seq = one_hot(pairs.target_train, flatten=False)       # (n, LENGTH, V) for an LSTM
    assert torch.equal(to_source(seq), one_hot(pairs.source_train, flatten=False))
    assert torch.equal(tokens_from_one_hot(seq), pairs.target_train)
    # a soft (non one-hot) batch is rewritten linearly, and X is left as it was
    soft = X * 0.5
    before = soft.clone()
    assert torch.allclose(to_source(soft), 0.5 * one_hot(pairs.source_train))
    assert torch.equal(soft, before)


def test_word_by_word_gets_order_and_dictionary_right_but_guesses_agreement():
    pairs = translation_pairs(n_train=2000, n_test=10, seed=2)
    reordered = translation_scores(word_by_word(pairs.source_train), pairs.target_train)
    kept_order = translation_scores(word_by_word(pairs.source_train, reorder=False), pairs.target_train)
    # nouns and verb (3 of 5 slots) always right; adjectives right when the noun is masculine
    assert reordered["adjective forms"] == pytest.approx(0.5, abs=0.05)
    assert reordered["words"] == pytest.approx(0.6 + 0.4 * reordered["adjective forms"], abs=1e-6)
    assert reordered["sentences"] == pytest.approx(0.25, abs=0.05)
    assert kept_order["sentences"] == 0.0 and kept_order["words"] < 0.2
    perfect = translation_scores(pairs.target_train, pairs.target_train)
    assert perfect == {"words": 1.0, "sentences": 1.0, "adjective forms": 1.0}


def test_bad_inputs_say_what_to_pass():
    with pytest.raises(ValueError, match="8000 different sentences"):
        translation_pairs(n_train=7000, n_test=2000)
    with pytest.raises(ValueError, match="positive integer"):
        translation_pairs(n_train=0)
    with pytest.raises(TypeError, match="integer tensor"):
        one_hot(torch.zeros(2, LENGTH))
    with pytest.raises(ValueError, match=r"shape \(n, 5\)"):
        one_hot(torch.zeros(2, 4, dtype=torch.int64))
    with pytest.raises(ValueError, match="ids between 0 and"):
        one_hot(torch.full((1, LENGTH), len(VOCABULARY)))
    with pytest.raises(ValueError, match="build them with one_hot"):
        to_source(torch.zeros(2, 7))
    with pytest.raises(ValueError, match="same shape"):
        translation_scores(torch.zeros(2, LENGTH, dtype=torch.int64), torch.zeros(3, LENGTH, dtype=torch.int64))


# Expected values as RDKit 2026.09 parses these strings (Chem.MolFromSmiles is not None); the
# strings that RDKit accepts and the subset refuses on purpose are in the test after.
SMILES_CASES = {
    True: ["CCO", "CC(=O)O", "C1CCCCC1", "OC1CCCCC1", "CC#N", "N#N", "O=C=O", "C=C=C", "OO", "FF",
           "C(C)(C)(C)C", "C(F)(F)(F)F", "C1CC1", "C=1CCCC1", "C1=CCCC1", "C1CC=1", "C12CC1CC2",
           "C1CCC2CCCCC2C1", "C(C)1CC1", "C(C)=1CC1", "C1(C)CC1", "C(=O)(O)", "C(C(C(C)))",
           "OCC(=O)O(C)", "F(C)", "C(=C)=C", "N1CC1=O", "C1CCC1C1CC1"],
    False: ["C11", "C1C1", "C12CC12", "N(=O)=O", "CF(C)", "F=C", "C#C#C", "C#N#C", "O=O=O",
            "C(C)(C)(C)(C)C", "C((C))", "CC((C))", "C()", "C(1)CC1", "C(=1)CC1", "=C", "C=", "1CC",
            "C)C", "C(C", "C1CC", "C=(C)", "C%", "CC(C)1C(C)1",
            "CC)C", "C1", "F(F)F", "N#N#N", "OC1CCCCC", "C==C", "CC="],  # the lesson's negative control
}


@pytest.mark.parametrize("valid", [True, False])
def test_smiles_checker_agrees_with_rdkit_on_the_subset(valid):
    for text in SMILES_CASES[valid]:
        assert is_valid_smiles(text) is valid, text


def test_smiles_checker_refuses_what_is_outside_the_subset_and_non_strings():
    assert not is_valid_smiles("")             # RDKit reads an empty molecule; no molecule here
    assert not is_valid_smiles("C=1CC#1")      # two orders for one ring bond: RDKit takes one
    assert not is_valid_smiles("CCl")          # chlorine: two letters, not in the subset
    assert not is_valid_smiles("c1ccccc1")     # aromatic atoms are lower case, not in the subset
    with pytest.raises(TypeError, match="expects a string"):
        is_valid_smiles(["C", "C"])


def test_word_by_word_with_agreement_translates_the_grammar_exactly():
    pairs = translation_pairs(n_train=400, n_test=10, seed=3)
    rule = translation_scores(word_by_word(pairs.source_train, agreement=True), pairs.target_train)
    assert rule == {key: 1.0 for key in rule}
    plain = translation_scores(word_by_word(pairs.source_train), pairs.target_train)
    assert plain["adjective forms"] < 0.8
