"""Datasets: fixed splits, value ranges, the restricted unpickler, deterministic batches."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from training.data import BatchSampler, DatasetUnavailable, load_dataset, restricted_loads, to_float
from training.image_data import with_pseudo_labels


class RunsCode:
    """Unpickling this calls os.system: exactly what a tampered data file would do."""

    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_restricted_unpickler_refuses_code(monkeypatch) -> None:
    payload = pickle.dumps(RunsCode())
    calls = []
    monkeypatch.setattr(os, "system", lambda cmd: calls.append(cmd))
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system|Refusing"):
        restricted_loads(payload)
    assert calls == []  # nothing ran
    with pytest.raises(pickle.UnpicklingError, match="builtins.eval"):
        restricted_loads(b"cbuiltins\neval\n(S'1+1'\ntR.")


def test_restricted_unpickler_reads_arrays_only() -> None:
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(restricted_loads(pickle.dumps(a)), a)
    with pytest.raises(pickle.UnpicklingError, match="Expected a numpy array"):
        restricted_loads(pickle.dumps({"a": 1}))


def test_animal_mnist_split_is_fixed_and_balanced() -> None:
    train, test = load_dataset("animal-mnist", "train"), load_dataset("animal-mnist", "test")
    assert (len(train), len(test)) == (8000, 2000)
    assert train.images.shape[1:] == (1, 28, 28) and train.images.dtype == torch.uint8
    assert train.class_names[0] == "bear" and train.class_names[-1] == "zebra"
    assert torch.bincount(test.labels).tolist() == [200] * 10
    assert torch.equal(load_dataset("animal-mnist", "test").images, test.images)  # same split every time


def test_digits_are_upsampled_to_28() -> None:
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    assert (len(train), len(test)) == (1437, 360)
    assert train.images.shape[1:] == (1, 28, 28) and int(train.images.max()) == 255
    x = to_float(train.images[:8])
    assert -1 <= float(x.min()) and float(x.max()) <= 1


def test_fake_and_unknown() -> None:
    d = load_dataset("fake", image_size=32, channels=3)
    assert d.images.shape[1:] == (3, 32, 32) and len(d.class_names) == 10
    with pytest.raises(ValueError, match="Unknown dataset"):
        load_dataset("imagenet")


def test_vendored_animal_mnist_is_the_package_data_and_needs_no_package(tmp_path, monkeypatch) -> None:
    import numpy as np

    from training import data

    # The .npz in training/assets holds exactly the PyPI package's arrays (make test installs the package).
    images, labels = data._animal_mnist_from_package()
    with np.load(data.ANIMAL_MNIST_NPZ, allow_pickle=False) as vendored:
        assert np.array_equal(vendored["images"], images) and np.array_equal(vendored["labels"], labels)
    remade = data.vendor_animal_mnist(tmp_path / "remade.npz")
    with np.load(remade, allow_pickle=False) as again:
        assert np.array_equal(again["images"], images)
    # Without the package (a Space: it requires tensorflow), the dataset loads from the vendored file.
    with_package = load_dataset("animal-mnist", "test")
    real_find_spec = data.importlib.util.find_spec
    monkeypatch.setattr(data.importlib.util, "find_spec",
                        lambda name, *a: None if name == "animal_mnist" else real_find_spec(name, *a))
    without = load_dataset("animal-mnist", "test")
    assert torch.equal(without.images, with_package.images) and torch.equal(without.labels, with_package.labels)
    monkeypatch.setattr(data, "ANIMAL_MNIST_NPZ", tmp_path / "missing.npz")  # neither: a clear message
    with pytest.raises(DatasetUnavailable, match="missing.npz is missing"):
        load_dataset("animal-mnist", "test")


def test_torchvision_offline_message(tmp_path) -> None:
    with pytest.raises(DatasetUnavailable, match="internet"):
        load_dataset("mnist", root=tmp_path, download=False)  # not downloaded: same path as being offline


def test_a_failed_download_leaves_no_empty_folders(tmp_path, monkeypatch) -> None:
    import urllib.error

    import torchvision.datasets.mnist as tv_mnist

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no route to host")  # what an offline server gets

    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", offline)
    root = tmp_path / "data"
    with pytest.raises(DatasetUnavailable, match="internet"):
        load_dataset("mnist", root=root, download=True)
    assert not root.exists()  # data/MNIST/raw was made for the download and removed with it
    (tmp_path / "kept").mkdir()
    with pytest.raises(DatasetUnavailable):
        load_dataset("mnist", root=tmp_path / "kept", download=True)
    assert (tmp_path / "kept").is_dir() and not any((tmp_path / "kept").iterdir())  # a folder we did not make stays


def test_batch_sampler_is_deterministic_and_sharded() -> None:
    a, b = BatchSampler(100, 10, seed=3), BatchSampler(100, 10, seed=3)
    assert all(torch.equal(a.indices(s), b.indices(s)) for s in [0, 5, 12, 3])  # any order, same batches
    epoch0 = torch.cat([a.indices(s) for s in range(10)])
    assert sorted(epoch0.tolist()) == list(range(100))  # an epoch sees every image once
    r0, r1 = BatchSampler(100, 10, 3, rank=0, world=2), BatchSampler(100, 10, 3, rank=1, world=2)
    assert not set(r0.indices(2).tolist()) & set(r1.indices(2).tolist())  # disjoint shards


def test_pseudo_labels_replace_the_classes_and_bad_files_are_refused(tmp_path) -> None:
    data = load_dataset("fake", "train")
    clusters = np.arange(len(data)) % 3
    np.save(tmp_path / "ok.npy", clusters)
    relabelled = with_pseudo_labels(data, tmp_path / "ok.npy")
    assert relabelled.class_names == ["cluster 0", "cluster 1", "cluster 2"]
    assert torch.equal(relabelled.labels, torch.from_numpy(clusters)) and relabelled.images is data.images
    bad = {"short": clusters[:-1], "floats": clusters.astype(np.float32), "negative": clusters - 1,
           "huge": clusters + 10**6, "grid": clusters[None], "objects": clusters.astype(object)}
    for name, labels in bad.items():
        np.save(tmp_path / f"{name}.npy", labels, allow_pickle=True)
        with pytest.raises(ValueError, match="pseudo-labels"):
            with_pseudo_labels(data, tmp_path / f"{name}.npy")
    (tmp_path / "text.npy").write_text("not an array")
    with pytest.raises(ValueError, match="pseudo-labels"):
        with_pseudo_labels(data, tmp_path / "text.npy")
