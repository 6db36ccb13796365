"""Synthetic tasks, the text corpus, the dataset catalog, standardization and one-hot."""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.data import (
    CharCorpus,
    DatasetNotFoundError,
    Standardize,
    adding_problem,
    copy_task,
    dataset_config,
    default_text,
    digits_path,
    load_splits,
    one_hot,
    parity,
    regression_1d,
    two_spirals,
    xor,
)


@pytest.mark.parametrize("make", [xor, two_spirals, regression_1d, parity, adding_problem,
                                  copy_task])
def test_tasks_are_reproducible_from_the_rng(make):
    a = make(rng=np.random.default_rng(7))
    b = make(rng=np.random.default_rng(7))
    c = make(rng=np.random.default_rng(8))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not all(np.array_equal(u, w) for u, w in zip(a, c))
    x, y = a
    assert x.dtype in (np.float32, np.int64) and len(x) == len(y)


def test_task_targets_follow_their_definition(rng):
    x, y = xor(200, noise=0.1, rng=rng)
    assert ((np.sign(x[:, 0]) != np.sign(x[:, 1])) == y).mean() > 0.99
    x, y = parity(50, 6, rng=rng)
    assert (x[..., 0].sum(1) % 2 == y).all() and x.shape == (50, 6, 1)
    x, y = adding_problem(30, 12, rng=rng)
    assert (x[..., 1].sum(1) == 2).all()
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * x[..., 1]).sum(1), rtol=1e-6)
    x, y = copy_task(10, length=4, delay=3, num_symbols=5, rng=rng)
    assert x.shape == (10, 12) and (x[:, 7] == 6).all() and (y[:, -4:] == x[:, :4]).all()
    assert (y[:, :-4] == 0).all()
    x, y = two_spirals(101, rng=rng)
    assert np.bincount(y).tolist() == [50, 51]


def test_char_corpus(tmp_path):
    text = default_text()
    assert len(text) > 100_000 and "the" in text
    corpus = CharCorpus(text[:5000])
    assert corpus.decode(corpus.encode(text[:200])) == text[:200]
    x, y = corpus.sequences(32)
    assert x.shape == y.shape and (x[:, 1:] == y[:, :-1]).all()
    path = tmp_path / "tiny.txt"
    path.write_text("abcabc", encoding="utf-8")
    assert CharCorpus.from_file(path).vocab == "abc"
    with pytest.raises(DatasetNotFoundError, match="missing.txt"):
        CharCorpus.from_file(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        corpus.encode("\x00")


@pytest.mark.parametrize("name", ["spirals", "xor", "parity", "text", "digits"])
def test_catalog_splits(name):
    if name == "digits":
        try:
            digits_path()
        except DatasetNotFoundError:
            pytest.skip("scikit-learn (which ships the digits file) is not installed")
    config = dataset_config(name, split_seed=3)
    splits = load_splits(config)
    again = load_splits(config)
    np.testing.assert_array_equal(splits.test[0], again.test[0])
    sizes = [len(splits.train[0]), len(splits.val[0]), len(splits.test[0])]
    assert min(sizes) > 0 and splits.train[0].shape[1:] == splits.input_shape
    assert splits.train[1].dtype == np.int64
    assert splits.train[1].max() < splits.num_classes


def test_catalog_errors():
    with pytest.raises(ValueError, match="unknown dataset"):
        dataset_config("imagenet")
    with pytest.raises(ValueError, match="no setting"):
        dataset_config("xor", colour="red")


def test_image_datasets_need_files_unless_download(tmp_path):
    config = dataset_config("mnist", data_dir=str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match="--download"):
        load_splits(config)


def test_standardize_and_one_hot(rng):
    x = rng.standard_normal((100, 3, 2, 2)).astype(np.float32) * 5 + 2
    s = Standardize(axis=(0, 2, 3)).fit(x)
    z = s(x)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=(0, 2, 3)), 1, atol=1e-5)
    np.testing.assert_allclose(s.inverse(z), x, rtol=1e-5, atol=1e-4)
    t = Standardize.from_config(s.to_config())
    np.testing.assert_array_equal(t(x), z)
    with pytest.raises(RuntimeError, match="fit"):
        Standardize()(x)
    assert one_hot(np.array([[1], [0]]), 2).shape == (2, 1, 2)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        one_hot(np.array([2]), 2)
