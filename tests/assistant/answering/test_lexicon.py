"""The head's vocabulary: only recurring terms, none when words are off or nothing recurs."""

from assistant.answering.lexicon import MAX_TERMS, fit_lexicon


def test_terms_must_recur_and_rows_are_scaled_by_the_weight() -> None:
    lexicon = fit_lexicon(["reset my password", "reset the password please", "download invoices"], weight=0.5)
    assert lexicon is not None
    assert set(lexicon.terms) == {"reset", "password"}
    row = lexicon.rows(["how do i reset a password"])
    assert abs(float((row.multiply(row)).sum()) ** 0.5 - 0.5) < 1e-6  # a unit row, scaled


def test_no_vocabulary_without_words_or_recurring_terms() -> None:
    assert fit_lexicon(["reset my password", "reset it"], weight=0.0) is None
    assert fit_lexicon(["one text"]) is None
    assert fit_lexicon(["alpha beta", "gamma delta"]) is None
    assert MAX_TERMS >= 1000


def test_one_questions_row_is_the_batch_transforms() -> None:
    """The head ranks one question at a time with ``row``; it must be exactly what the refit's batch
    ``rows`` gives, repeated words, unknown words and no known word at all included."""
    examples = [
        "reset my password",
        "reset the password please",
        "please download my invoices",
        "download the invoices for march",
        "set an alarm for seven",
        "remove the alarm for seven",
    ]
    lexicon = fit_lexicon(examples, weight=0.5)
    assert lexicon is not None
    questions = [
        *examples,
        "Reset reset RESET the password, please!",
        "invoices: download them for March please",
        "nothing here is known",
        "",
    ]
    for question in questions:
        one, batch = lexicon.row(question), lexicon.rows([question])
        assert one.shape == batch.shape
        assert abs(one - batch).max() < 1e-6 if batch.nnz else one.nnz == 0
