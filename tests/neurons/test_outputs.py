"""How the output speaks for each digit (docs/interpretation.md, "Output digits")."""
import numpy as np

from neurons.outputs import class_probabilities, classes, output_for


def test_output_for_names_the_logit_and_negates_digit_0_of_a_single_sigmoid():
    assert output_for(10, 4) == (4, 1.0, "z₄")
    assert output_for(1, 1) == (0, 1.0, "z")
    assert output_for(1, 0) == (0, -1.0, "−z")
    assert classes(10) == list(range(10)) and classes(1) == [0, 1]


def test_a_single_sigmoid_output_gives_two_probability_columns_that_sum_to_one():
    logits = np.array([[-2.0], [0.0], [3.0]])
    probabilities = class_probabilities(logits, "sigmoid")
    np.testing.assert_allclose(probabilities[:, 1], 1 / (1 + np.exp(-logits[:, 0])))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    softmax = class_probabilities(np.array([[1.0, 2.0, 3.0]]), "softmax")
    np.testing.assert_allclose(softmax[0], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())
