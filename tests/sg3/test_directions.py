"""sg3.directions and sg3.latent_files against independent numpy computations on the reference networks' weights."""

import math

import numpy as np
import pytest
import torch
from PIL import Image

from sg3 import directions as D, equivariance as E, latent_files as LF
from sg3.__main__ import main
from sg3.pipeline import seed_latent, to_uint8


@pytest.fixture(autouse=True)
def _threads():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def numpy_sefa(state: dict, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """SeFa as the authors' code: rows of the stacked affine weights scaled to unit length, eig of A^T A, descending."""
    a = np.concatenate([state[f'{name}.weight'].numpy().astype(np.float64) for name in names], axis=0)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    values, vectors = np.linalg.eig(a.T @ a)
    order = np.argsort(values.real)[::-1]
    return values.real[order], vectors.real[:, order].T


def assert_same_directions(ours: D.DirectionSet, values: np.ndarray, vectors: np.ndarray, count: int = 8) -> None:
    np.testing.assert_allclose(ours.values, values, rtol=1e-5, atol=1e-6 * values.max())
    gaps = np.diff(values[:count + 1])
    for k in range(count):                      # Eigenvectors of distinct eigenvalues agree up to sign.
        if min(abs(gaps[k]), abs(gaps[k - 1]) if k else np.inf) > 1e-3 * values[0]:
            assert abs(float(ours.vectors[k].astype(np.float64) @ vectors[k])) == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(np.linalg.norm(ours.vectors, axis=1), 1.0, atol=1e-5)


def test_sefa_equals_numpy_on_stylegan3_and_stylegan2(sg3t_G, sg2_G):
    state = {k: v.detach() for k, v in sg3t_G.state_dict().items()}
    names = [f'synthesis.{n}.affine' for n in sg3t_G.synthesis.layer_names[2:6]]   # L2..L5 read W indices 3..6.
    ours = D.sefa(sg3t_G, 3, 7)
    assert_same_directions(ours, *numpy_sefa(state, names))
    assert ours.names[0] == 'SeFa 0' and ours.kind == 'sefa' and (ours.sigmas > 0).all()
    state = {k: v.detach() for k, v in sg2_G.state_dict().items()}
    # StyleGAN2 64 px: b4.conv1 -> W 0, b8.conv0/conv1 -> W 1, 2, b16.conv0 -> W 3.
    assert_same_directions(D.sefa(sg2_G, 0, 4), *numpy_sefa(state, ['synthesis.b4.conv1.affine', 'synthesis.b8.conv0.affine',
        'synthesis.b8.conv1.affine', 'synthesis.b16.conv0.affine']))
    with pytest.raises(D.DirectionsError, match=r'no style affine reads them'):
        D.sefa(sg3t_G, 0, 1)                    # W 0 feeds the input only.
    with pytest.raises(D.DirectionsError, match=r'expected 0 <= first < last <= num_ws = 16'):
        D.sefa(sg3t_G, 4, 40)


def test_spread_is_the_std_of_w_along_the_direction(sg3t_G):
    ours = D.sefa(sg3t_G, num=3)
    rnd = np.random.RandomState(D.SPREAD_SEED)
    z = torch.from_numpy(rnd.randn(D.SPREAD_SAMPLES, sg3t_G.z_dim)).float()
    with torch.no_grad():
        w = sg3t_G.mapping(z, None)[:, 0].double().numpy()
    np.testing.assert_allclose(ours.sigmas, (w @ ours.vectors.T.astype(np.float64)).std(axis=0, ddof=1), rtol=1e-4)


def test_pca_equals_a_plain_svd_and_is_cached(sg3t_G, tmp_path):
    ours = D.pca(sg3t_G, num_samples=600, seed=5, cache_dir=str(tmp_path))
    rnd = np.random.RandomState(5)
    z = torch.from_numpy(rnd.randn(600, sg3t_G.z_dim)).float()
    with torch.no_grad():
        w = sg3t_G.mapping(z, None)[:, 0].double().numpy()
    x = w - w.mean(axis=0)
    _u, s, vt = np.linalg.svd(x, full_matrices=False)
    assert_same_directions(ours, s ** 2 / 599, vt)
    np.testing.assert_allclose(ours.sigmas[:10], s[:10] / math.sqrt(599), rtol=1e-5)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == '.npz'

    # Reused: a second call reads the file (no sampling: a cancel before the first batch would stop it).
    again = D.pca(sg3t_G, num_samples=600, seed=5, cache_dir=str(tmp_path), cancel=lambda: True)
    np.testing.assert_array_equal(again.vectors, ours.vectors)
    # Invalidated when the mapping weights change (and another N or seed is another entry).
    with pytest.raises(D.DirectionsCancelled):
        D.pca(sg3t_G, num_samples=600, seed=6, cache_dir=str(tmp_path), cancel=lambda: True)
    with torch.no_grad():
        sg3t_G.mapping.fc0.weight[0, 0] += 1
    try:
        with pytest.raises(D.DirectionsCancelled):
            D.pca(sg3t_G, num_samples=600, seed=5, cache_dir=str(tmp_path), cancel=lambda: True)
        changed = D.pca(sg3t_G, num_samples=600, seed=5, cache_dir=str(tmp_path))
        assert not np.array_equal(changed.vectors, ours.vectors) and len(list(tmp_path.iterdir())) == 2
    finally:
        with torch.no_grad():
            sg3t_G.mapping.fc0.weight[0, 0] -= 1
    # A broken cache file is recomputed, not an error.
    files[0].write_bytes(b'garbage')
    np.testing.assert_array_equal(D.pca(sg3t_G, num_samples=600, seed=5, cache_dir=str(tmp_path)).vectors, ours.vectors)


def _input_matrix(G, w0: torch.Tensor) -> torch.Tensor:
    """The input layer's inverse transform (rotation, then translation) for w0, from its documented formula."""
    t = G.synthesis.input.affine(w0)[0].double()
    t = t / t[:2].norm()
    m_r = torch.tensor([[t[0], -t[1], 0], [t[1], t[0], 0], [0, 0, 1]], dtype=torch.float64)
    m_t = torch.tensor([[1, 0, -t[2]], [0, 1, -t[3]], [0, 0, 1]], dtype=torch.float64)
    return m_r @ m_t


def _masked_psnr(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> float:
    return E.psnr(E.masked_mse(E.error_map(a, b, mask), mask))


def test_a_pose_step_moves_the_picture_and_keep_pose_does_not(sg3t_G):
    G = sg3t_G
    z, c = seed_latent(3, G.z_dim)
    with torch.no_grad():
        ws = G.mapping(z, c)
        img = G.synthesis(ws, noise_mode='const')
        pose = D.pose(G)
        assert pose.vectors.shape == (4, G.w_dim)
        np.testing.assert_allclose(pose.vectors @ pose.vectors.T, np.eye(4), atol=1e-5)
        # A step along the pose subspace (the W the input reads): after undoing the transform it predicts, the
        # picture is the original; before, it is not.
        moved_ws = D.apply_directions(ws, pose, (2.0, -1.5, 3.0, 2.0), 0, 1)   # About 7 degrees and (0.27, 0.15) images.
        moved = G.synthesis(moved_ws, noise_mode='const')
        undo = torch.linalg.inv(_input_matrix(G, ws[:, 0])) @ _input_matrix(G, moved_ws[:, 0])
        back, mask = E.apply_affine_transformation(moved, undo.float())
        assert mask.mean() > 0.2                # The resampler's margins leave the centre of a 64 px image.
        before, after = _masked_psnr(moved, img, mask), _masked_psnr(back, img, mask)
        assert after > 40 and after > before + 15, (before, after)   # Measured: 29 dB -> 48 dB.

        # Keep pose: a SeFa direction over every W index, with the pose subspace projected out, leaves the input's
        # transform as it was; without, it moves it.
        sefa = D.sefa(G, num=4)
        kept = D.project_out(sefa, D.pose_subspace(G), G)
        assert np.abs(kept.vectors @ pose.vectors.T).max() < 1e-5
        base = _input_matrix(G, ws[:, 0])
        shift_kept = (_input_matrix(G, D.apply_directions(ws, kept, (3.0,))[:, 0]) - base).abs().max()
        shift_raw = (_input_matrix(G, D.apply_directions(ws, sefa, (3.0,))[:, 0]) - base).abs().max()
        assert shift_kept < 1e-5 < 1e-3 < shift_raw, (float(shift_kept), float(shift_raw))
    with pytest.raises(D.DirectionsError, match='only in StyleGAN3'):
        D.pose_subspace(_Sg2Like())
    zero = type('Z', (), {'synthesis': type('S', (), {'input': type('I', (), {'affine': torch.nn.Linear(8, 4, bias=False)})()})()})()
    torch.nn.init.zeros_(zero.synthesis.input.affine.weight)
    with pytest.raises(D.DirectionsError, match='zero weight'):
        D.pose_subspace(zero)


class _Sg2Like:
    architecture = 'stylegan2'
    synthesis = object()


def test_apply_directions_is_w_plus_sum_of_scaled_directions(sg3t_G):
    sefa = D.sefa(sg3t_G, num=3)
    ws = torch.randn(2, 16, 512)
    out = D.apply_directions(ws, sefa, (1.5, -2.0), 2, 5)
    offset = 1.5 * sefa.sigmas[0] * sefa.vectors[0].astype(np.float64) - 2.0 * sefa.sigmas[1] * sefa.vectors[1]
    np.testing.assert_allclose((out - ws)[:, 2:5].numpy(), np.broadcast_to(offset, (2, 3, 512)), atol=1e-5)
    assert torch.equal(out[:, :2], ws[:, :2]) and torch.equal(out[:, 5:], ws[:, 5:])
    with pytest.raises(D.DirectionsError, match='4 strengths for 3 directions'):
        D.apply_directions(ws, sefa, (1, 1, 1, 1))

# ----------------------------------------------------------------------------
# Files.


def test_latents_round_trip_bit_identical_and_projector_format(sg3t_G, tmp_path):
    G = sg3t_G
    with torch.no_grad():
        ws = G.mapping(*seed_latent(1, G.z_dim)) + 0.01
    path = LF.save_latents(str(tmp_path / 'w.npz'), ws.numpy())
    with np.load(path) as data:
        assert data.files == ['w'] and data['w'].shape == (1, 16, 512) and data['w'].dtype == np.float32
    back = LF.load_latents(path, 16, 512)
    assert np.array_equal(back, ws.numpy())
    with torch.no_grad():
        assert torch.equal(G.synthesis(torch.from_numpy(back)), G.synthesis(ws))
    # NVIDIA's projector file (np.savez(path, w=...)), and the other shapes.
    np.savez(tmp_path / 'projected_w.npz', w=ws.numpy())
    assert np.array_equal(LF.load_latents(str(tmp_path / 'projected_w.npz'), 16, 512), ws.numpy())
    one = np.arange(512, dtype=np.float32)
    np.save(tmp_path / 'one.npy', one)
    assert np.array_equal(LF.load_latents(str(tmp_path / 'one.npy'), 16, 512), np.broadcast_to(one, (1, 16, 512)))
    np.save(tmp_path / 'many.npy', np.zeros([3, 16, 512]))
    assert LF.load_latents(str(tmp_path / 'many.npy'), 16, 512).shape == (3, 16, 512)


@pytest.mark.parametrize('content, message', [
    (dict(w=np.zeros([1, 14, 512])), r'shape \[1, 14, 512\]; expected \[512\], \[16, 512\] or \[N, 16, 512\]'),
    (dict(a=np.zeros(512), b=np.zeros(512)), r'arrays a, b; expected one named w or ws'),
    (dict(w=np.full([512], np.nan)), r'NaN or infinite'),
    (dict(w=np.array(['x'])), r'dtype <U1; expected floating-point'),
])
def test_bad_latent_files_name_the_file_and_the_shape(tmp_path, content, message):
    path = tmp_path / 'bad.npz'
    np.savez(path, **content)
    with pytest.raises(LF.LatentFileError, match=message) as info:
        LF.load_latents(str(path), 16, 512)
    assert str(path) in str(info.value)
    with pytest.raises(LF.LatentFileError, match='no such file'):
        LF.load_latents(str(tmp_path / 'missing.npy'), 16, 512)
    (tmp_path / 'x.txt').write_text('1')
    with pytest.raises(LF.LatentFileError, match='expected a .npy or .npz'):
        LF.load_latents(str(tmp_path / 'x.txt'), 16, 512)


def test_direction_files_interfacegan_named_npz_and_our_format(sg3t_G, tmp_path):
    boundary = np.random.RandomState(0).randn(1, 512)
    np.save(tmp_path / 'smile.npy', boundary)
    smile = LF.direction_set(str(tmp_path / 'smile.npy'), sg3t_G)
    np.testing.assert_allclose(smile.vectors[0], boundary[0] / np.linalg.norm(boundary), rtol=1e-6)
    np.savez(tmp_path / 'named.npz', age=boundary[0], pose=boundary * 2 + 1)
    named = LF.direction_set(str(tmp_path / 'named.npz'), sg3t_G)
    assert named.names == ('age', 'pose') and len(named) == 2
    sefa = D.sefa(sg3t_G, num=5)
    LF.save_directions(str(tmp_path / 'set.npz'), sefa, names=('smile', 'hair'))
    back = LF.direction_set(str(tmp_path / 'set.npz'), sg3t_G)
    assert back.names == ('smile', 'hair', 'SeFa 2', 'SeFa 3', 'SeFa 4') and back.kind == 'sefa'
    assert np.array_equal(back.vectors, sefa.vectors) and np.array_equal(back.sigmas, sefa.sigmas)
    np.save(tmp_path / 'wrong.npy', np.zeros([3, 64]))
    with pytest.raises(LF.LatentFileError, match=r'shape \[3, 64\]; expected \[K, 512\] or \[512\]'):
        LF.load_directions(str(tmp_path / 'wrong.npy'), 512)
    np.save(tmp_path / 'zero.npy', np.zeros([512]))
    with pytest.raises(LF.LatentFileError, match='all zeros'):
        LF.load_directions(str(tmp_path / 'zero.npy'), 512)

# ----------------------------------------------------------------------------
# Command line.


def test_cli_directions_and_generate_from_w(tmp_path):
    out = tmp_path / 'd.npz'
    assert main(['directions', '--network', 'builtin:sg3-t', '--method', 'sefa', '--layers', '1-4', '--num', '6', '--device', 'cpu',
        '--out', str(out)]) == 0
    import sg3
    G = sg3.load_generator('builtin:sg3-t')
    vectors, names, sigmas, _values, kind = LF.load_directions(str(out), 512)
    assert kind == 'sefa' and len(names) == 6
    np.testing.assert_allclose(vectors, D.sefa(G, 1, 5, 6).vectors, atol=1e-6)
    assert main(['directions', '--method', 'pose', '--out', str(out), '--device', 'cpu']) == 2   # Untrained: zero input affine.

    with torch.no_grad():
        ws = G.mapping(*seed_latent(2, G.z_dim), truncation_psi=0.7)
        expected = to_uint8(G.synthesis(ws, noise_mode='const')[0])
    np.savez(tmp_path / 'projected_w.npz', w=ws.numpy())
    assert main(['generate', '--network', 'builtin:sg3-t', '--w', str(tmp_path / 'projected_w.npz'), '--device', 'cpu',
        '--outdir', str(tmp_path / 'out')]) == 0
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / 'out' / 'w0000.png')), expected)
    assert main(['generate', '--network', 'builtin:sg3-t', '--outdir', str(tmp_path / 'out')]) == 2
