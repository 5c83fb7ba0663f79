"""Loading speed: our safe loader against an unsafe `pickle.load` of the same official-format pickle.

Writes a 256-px StyleGAN3-T generator of official size (channel_base 32768, channel_max 512: about
115 MB) with random weights into a temporary folder, then times, each in a fresh subprocess (imports
not counted, best of --repeats):
- ours:   `sg3.checkpoint.load_network(path)`: restricted unpickling, weights-only storage reads,
          rebuilding our generator and checking every tensor;
- unsafe: `pickle.load` with stand-in `torch_utils.persistence` / `dnnlib.util` modules that do what
          NVIDIA's do (a class per `class_name`, `__new__`, `__setstate__(state)`), except executing the
          placeholder `module_src`, and torch's own `_load_from_bytes` (weights_only=False).
Target: ours <= 2x unsafe.

    .venv/bin/python benchmarks/bench_loading.py [--snapshot] [--repeats 3]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

OFFICIAL_256 = dict(z_dim=512, w_dim=512, mapping_kwargs=dict(num_layers=2), channel_base=32768, channel_max=512,
    magnitude_ema_beta=0.5 ** (32 / (10 * 1e3)), c_dim=0, img_resolution=256, img_channels=3)

OURS = '''
import sys, time
from sg3 import checkpoint
start = time.perf_counter()
loaded = checkpoint.load_network(sys.argv[1])
print(time.perf_counter() - start, loaded.info.num_params)
'''

UNSAFE = '''
import pickle, sys, time, types
import torch
classes = {}
def _reconstruct_persistent_obj(meta):
    assert meta['type'] == 'class' and meta['version'] == 6
    name = meta['class_name']
    if name not in classes: # NVIDIA's code execs module_src here (once per source) and looks the class up.
        classes[name] = type(name, (torch.nn.Module,), {})
    obj = classes[name].__new__(classes[name])
    obj.__setstate__(meta['state'])
    return obj
class EasyDict(dict):
    pass
for name, attrs in {'torch_utils': {}, 'torch_utils.persistence': dict(_reconstruct_persistent_obj=_reconstruct_persistent_obj),
        'dnnlib': {}, 'dnnlib.util': dict(EasyDict=EasyDict)}.items():
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
start = time.perf_counter()
with open(sys.argv[1], 'rb') as f:
    data = pickle.load(f)
G = data['G_ema'] if isinstance(data, dict) else data
print(time.perf_counter() - start, sum(p.numel() for p in G.parameters()))
'''

#----------------------------------------------------------------------------

def write_pickle(path: str, snapshot: bool) -> None:
    import torch
    sys.path.insert(0, ROOT)
    from sg3.networks_stylegan3 import Generator
    from tests.sg3 import pickle_writer
    torch.manual_seed(0)
    G = Generator(**OFFICIAL_256)
    G_ema = pickle_writer.generator_object(G.state_dict(), OFFICIAL_256, 'stylegan3-t')
    if snapshot:
        G_train = pickle_writer.generator_object({name: t + 0.01 for name, t in G.state_dict().items()}, OFFICIAL_256, 'stylegan3-t')
        top = pickle_writer.snapshot(G_ema, G=G_train, D=pickle_writer.discriminator_object(img_resolution=256, channels=256))
    else:
        top = G_ema
    pickle_writer.write(path, top)

def time_subprocess(script: str, path: str) -> tuple[float, int]:
    result = subprocess.run([sys.executable, '-c', script, path], cwd=ROOT, capture_output=True, text=True, check=True)
    seconds, num_params = result.stdout.split()
    return float(seconds), int(num_params)

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--snapshot', action='store_true', help='write a training snapshot (G, D, G_ema, augment_pipe) instead of a bare generator')
    parser.add_argument('--repeats', type=int, default=3, help='timed runs of each loader (the best is reported)')
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, 'stylegan3-t-256.pkl')
        start = time.perf_counter()
        write_pickle(path, args.snapshot)
        print(f'wrote {os.path.getsize(path) / 1e6:.1f} MB {"snapshot" if args.snapshot else "bare StyleGAN3-T generator"} in {time.perf_counter() - start:.1f} s')
        ours, unsafe = [], []
        for _ in range(args.repeats):
            seconds, ours_params = time_subprocess(OURS, path)
            ours.append(seconds)
            seconds, unsafe_params = time_subprocess(UNSAFE, path)
            unsafe.append(seconds)
        assert ours_params == unsafe_params, (ours_params, unsafe_params)
    print(f'parameters:        {ours_params:,}')
    print(f'ours (safe):       best {min(ours):.3f} s   runs {", ".join(f"{s:.3f}" for s in ours)}')
    print(f'pickle.load (unsafe): best {min(unsafe):.3f} s   runs {", ".join(f"{s:.3f}" for s in unsafe)}')
    print(f'ratio ours / unsafe: {min(ours) / min(unsafe):.2f} (target <= 2)')

if __name__ == '__main__':
    main()

#----------------------------------------------------------------------------
