import numpy as np

from digitpad.core.augment import Augmenter
from digitpad.core.skeleton import skeleton_segments, thin
from digitpad.core.stroke_digits import segments_to_ink, stroke_versions


def test_thinning_a_thick_bar_leaves_a_one_pixel_line():
    img = np.zeros((20, 40), bool)
    img[8:13, 5:35] = True
    skel = thin(img)
    assert skel[10, 10:30].all()
    assert skel.sum(axis=0)[10:30].max() == 1
    batch = thin(np.stack([img, img[:, ::-1]]))
    assert batch.shape == (2, 20, 40) and np.array_equal(batch[0], skel)


def test_segments_join_neighbours_without_corner_triangles():
    skel = np.zeros((5, 5), bool)
    skel[1, 1:4] = True  # horizontal run
    skel[2, 3] = True  # turns down
    segs = skeleton_segments(skel)
    assert len(segs) == 3
    ink = segments_to_ink(segs, canvas=50)
    assert len(ink.strokes) == 3 and ink.width == 50


def test_stroke_versions_look_like_the_digits(mnist_test_sample):
    x, _ = mnist_test_sample
    redrawn = stroke_versions(x[:20], workers=1)
    assert redrawn.shape == (20, 28, 28) and redrawn.dtype == np.uint8
    a, b = redrawn.astype(float) / 255, x[:20].astype(float) / 255
    # same digit, same place: strongly correlated with the original picture
    corr = [np.corrcoef(p.ravel(), q.ravel())[0, 1] for p, q in zip(a, b)]
    assert np.median(corr) > 0.6


def test_augmentation_is_seeded_and_keeps_the_digit(mnist_test_sample):
    x, _ = mnist_test_sample
    imgs = x[:50].astype(np.float32) / 255
    one, two = Augmenter(seed=3)(imgs), Augmenter(seed=3)(imgs)
    assert np.array_equal(one, two) and one.shape == imgs.shape
    assert not np.array_equal(one, imgs)
    ratio = one.sum(axis=(1, 2)) / imgs.sum(axis=(1, 2))
    assert 0.5 < np.median(ratio) < 1.6
