"""Safe loading of generator networks: NVIDIA's pickles, our own safetensors format, and http(s) URLs.

Downloads and their cache: `sg3.download`. Nothing from a file is ever executed. NVIDIA's pickles are read by the restricted unpickler of
`checkpoint_pickle`; the generator is rebuilt from our own classes with the recorded constructor
arguments, and every tensor is checked against what those classes expect.
"""

import dataclasses
import os
from typing import Callable

import torch

from sg3 import checkpoint_format
from sg3 import checkpoint_pickle
from sg3.download import (CACHE_DIR_ENV, DEFAULT_CACHE_DIR, CancelCallback, DownloadCancelled, ProgressCallback, # noqa: F401 (URL
    cache_folder, cached_path, check_scheme, download, is_url)                                                     # names, kept here)
from sg3.errors import CheckpointError

#----------------------------------------------------------------------------

ARCHITECTURE_TITLES = {'stylegan3-t': 'StyleGAN3-T', 'stylegan3-r': 'StyleGAN3-R', 'stylegan2': 'StyleGAN2'}
POSITIONAL_ARGS = ('z_dim', 'c_dim', 'w_dim', 'img_resolution', 'img_channels') # Official Generator signature order.

@dataclasses.dataclass(frozen=True)
class NetworkInfo:
    """What the viewer shows about a loaded network."""
    source:                 str             # What the user gave: a path or a URL.
    architecture:           str             # 'stylegan3-t' | 'stylegan3-r' | 'stylegan2'.
    img_resolution:         int             # Output resolution (square).
    img_channels:           int             # Output channels.
    z_dim:                  int             # Input latent (Z) dimensionality.
    c_dim:                  int             # Conditioning label dimensionality, 0 = unconditional.
    w_dim:                  int             # Intermediate latent (W) dimensionality.
    num_ws:                 int             # Number of ws the synthesis network takes.
    num_params:             int             # Number of parameters of the generator.
    keys:                   tuple           # Top-level keys of a snapshot dict; () for a bare network or our format.
    key:                    str|None        # The key the generator was taken from; None for a bare network or our format.
    training_set_kwargs:    dict|None       # The snapshot's training-set facts (path, resolution, use_labels, xflip...).
    init_kwargs:            dict            # The generator's constructor arguments, plain JSON-able values.
    path:                   str = ''        # The local file that was read (the cached download for a URL; '' for a built-in).

    def describe(self) -> list[str]:
        """Human-readable lines for the GUI and `python -m sg3 info`."""
        lines = [
            f'Source: {self.source}',
            f'Architecture: {ARCHITECTURE_TITLES.get(self.architecture, self.architecture)}',
            f'Resolution: {self.img_resolution} x {self.img_resolution}, {self.img_channels} channels',
            f'Latents: z_dim {self.z_dim}, w_dim {self.w_dim}, num_ws {self.num_ws}',
            f'Conditioning: c_dim {self.c_dim}' if self.c_dim > 0 else 'Conditioning: none (c_dim 0)',
            f'Parameters: {self.num_params:,} ({self.num_params / 1e6:.1f} M)',
        ]
        if self.keys:
            lines.append(f'Keys in file: {", ".join(self.keys)} (using {self.key})')
        elif self.key is not None:
            lines.append(f'Using key: {self.key}')
        if self.training_set_kwargs:
            facts = ', '.join(f'{name} {value}' for name, value in self.training_set_kwargs.items() if name != 'class_name')
            lines.append(f'Training set: {facts}')
        return lines

@dataclasses.dataclass(frozen=True)
class LoadedNetwork:
    G:      torch.nn.Module     # The generator, on CPU, float32, eval mode, requires_grad off.
    info:   NetworkInfo         # What the viewer shows about it.

#----------------------------------------------------------------------------

def load_network(
    source:     str,                        # Path (str or PathLike) to an NVIDIA pickle or our .safetensors file, an http(s) URL, or builtin:NAME.
    key:        str|None = None,            # Snapshot key to take the generator from; None = 'G_ema', else 'G'.
    cache_dir:  str|None = None,            # Download folder for URLs; None = $SG3_CACHE_DIR or ~/.cache/sg3-viz/downloads.
    progress:   ProgressCallback|None = None,   # Called with (bytes done, bytes total or None) while downloading.
    cancel:     CancelCallback|None = None, # Polled while downloading; True stops with DownloadCancelled (sg3.download).
) -> LoadedNetwork:
    """Load a generator without executing anything from the file (or build the built-in demo `builtin:NAME`). Raises
    CheckpointError for bad input."""
    from sg3.builtin import build_builtin, is_builtin
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str) or not source:
        raise CheckpointError(f'network source must be a non-empty path or URL string, got {source!r}')
    if is_builtin(source):
        if key is not None:
            raise CheckpointError(f'{source}: a built-in network is one generator; key={key!r} does not apply (pass key=None)')
        G = build_builtin(source)
        return _loaded(source, G, '', dict(keys=(), key=None, training_set_kwargs=None, init_kwargs=G.init_kwargs))
    if not is_url(source):
        return _load_file(source, os.path.expanduser(source), key)
    path = download(source, cache_dir=cache_dir, progress=progress, cancel=cancel)
    try:
        return _load_file(source, path, key)
    except CheckpointError as e: # Name the cached copy: a damaged one is downloaded again once deleted.
        raise CheckpointError(f'{e} (the download is cached as {path}; delete it to download again)') from None

def _load_file(source: str, path: str, key: str|None) -> LoadedNetwork:
    head = _read_head(path, source)
    if checkpoint_format.looks_like_safetensors(head):
        if key is not None:
            raise CheckpointError(f'{source}: a file in our safetensors format holds one generator; key={key!r} does not apply (pass key=None)')
        G, extra = _load_ours(path, source)
    elif head.startswith(b'PK\x03\x04'):
        raise CheckpointError(f'{source}: this is a zip archive, as written by torch.save (for example a plain state dict); '
            'expected an NVIDIA network pickle (.pkl) or our .safetensors format, which record how to build the generator')
    else:
        G, extra = _load_pickle(path, source, key)
    return _loaded(source, G, os.path.abspath(path), extra)

def _loaded(source: str, G: torch.nn.Module, path: str, extra: dict) -> LoadedNetwork:
    """G (eval mode, no gradients) with its NetworkInfo; `extra` holds the fields that depend on the file."""
    G.eval().requires_grad_(False)
    info = NetworkInfo(
        source              = source,
        architecture        = G.architecture,
        img_resolution      = int(G.img_resolution),
        img_channels        = int(G.img_channels),
        z_dim               = int(G.z_dim),
        c_dim               = int(G.c_dim),
        w_dim               = int(G.w_dim),
        num_ws              = int(G.num_ws),
        num_params          = sum(param.numel() for param in G.parameters()),
        path                = path,
        **extra,
    )
    return LoadedNetwork(G=G, info=info)

def _read_head(path: str, source: str) -> bytes:
    if not os.path.exists(path):
        check_scheme(source)
        raise CheckpointError(f'{source}: no such file; expected a network .pkl or .safetensors file, or an http(s) URL')
    if os.path.isdir(path):
        raise CheckpointError(f'{source}: is a directory; expected a network .pkl or .safetensors file')
    try:
        with open(path, 'rb') as f:
            head = f.read(16)
    except OSError as e:
        raise CheckpointError(f'{source}: could not be read ({e.strerror or e})') from None
    if not head:
        raise CheckpointError(f'{source}: the file is empty; expected a network .pkl or .safetensors file')
    return head

#----------------------------------------------------------------------------
# NVIDIA's pickles.

def _load_pickle(path: str, source: str, key: str|None) -> tuple[torch.nn.Module, dict]:
    try:
        with open(path, 'rb') as f:
            top = checkpoint_pickle.unpickle(f)
    except checkpoint_pickle.FormatProblem as e:
        raise CheckpointError(f'{source}: {e}') from None
    except RecursionError:
        raise CheckpointError(f'{source}: the pickle is nested too deeply to be a network file') from None
    except Exception as e: # Truncated or corrupted streams raise many types (EOFError, UnpicklingError, ValueError...).
        raise CheckpointError(f'{source}: not a readable network pickle; expected an NVIDIA .pkl or our .safetensors file, '
            'and this one may be truncated or corrupted '
            f'({type(e).__name__}: {checkpoint_pickle.short_repr(str(e))})') from None
    try:
        record, keys, chosen_key, training_set_kwargs = _pick_generator(top, key)
        architecture = detect_architecture(record)
        init_kwargs = _init_kwargs(record)
        tensors, optional = checkpoint_pickle.network_tensors(record)
        storages = {}
        def read_tensor(name):
            return checkpoint_pickle.materialize(tensors[name], storages)
        G = build_generator(architecture, init_kwargs, {name: tuple(t.size) for name, t in tensors.items()}, optional, read_tensor)
        training_set_kwargs = checkpoint_pickle.to_plain(training_set_kwargs) if isinstance(training_set_kwargs, dict) else None
    except checkpoint_pickle.FormatProblem as e:
        raise CheckpointError(f'{source}: {e}') from None
    except Exception as e: # Odd values in a corrupted file surface here as TypeError, KeyError...
        raise CheckpointError(f'{source}: the network pickle has an unexpected structure; the file may be corrupted '
            f'({type(e).__name__}: {checkpoint_pickle.short_repr(str(e))})') from None
    return G, dict(keys=keys, key=chosen_key, training_set_kwargs=training_set_kwargs, init_kwargs=init_kwargs)

def _pick_generator(top, key: str|None) -> tuple[checkpoint_pickle.PersistentRecord, tuple, str|None, object]:
    """Return (generator record, keys of the file, chosen key, training_set_kwargs) or raise FormatProblem."""
    Record = checkpoint_pickle.PersistentRecord
    if isinstance(top, Record):
        if key is not None:
            raise checkpoint_pickle.FormatProblem(f'holds a bare {top.class_name}, not a snapshot dict, so key={key!r} does not apply (pass key=None)')
        _check_is_generator(top, 'the file')
        return top, (), None, None
    if isinstance(top, int) and top == checkpoint_pickle.TORCH_SAVE_MAGIC:
        raise checkpoint_pickle.FormatProblem('this is a legacy torch.save file (for example a plain state dict), not an NVIDIA network '
            'pickle; expected a file that records how to build the generator (.pkl snapshot or our .safetensors)')
    if not isinstance(top, dict):
        raise checkpoint_pickle.FormatProblem(f'holds a {type(top).__name__}; expected a network snapshot dict (G, D, G_ema, ...) or a bare Generator')
    keys = tuple(name for name in top.keys() if isinstance(name, str))
    if top and all(isinstance(value, checkpoint_pickle.TensorRecord) for value in top.values()):
        raise checkpoint_pickle.FormatProblem(f'holds a plain PyTorch state dict ({len(top)} tensors such as {checkpoint_pickle.short_repr(keys[:3])}) '
            'without the architecture and constructor arguments; expected an NVIDIA network pickle or our .safetensors format')
    training_set_kwargs = top.get('training_set_kwargs')
    if key is not None:
        if key not in top:
            raise checkpoint_pickle.FormatProblem(f'has no key {key!r}; keys present: {list(keys)}')
        _check_is_generator(top[key], f'key {key!r}')
        return top[key], keys, key, training_set_kwargs
    for candidate in ['G_ema', 'G']:
        if isinstance(top.get(candidate), Record):
            _check_is_generator(top[candidate], f'key {candidate!r}')
            return top[candidate], keys, candidate, training_set_kwargs
    records = {name: value for name, value in top.items() if isinstance(value, Record)}
    if any(value.class_name == 'Generator' for value in records.values()):
        name = next(name for name, value in records.items() if value.class_name == 'Generator')
        return records[name], keys, name, training_set_kwargs
    if any(value.class_name == 'Discriminator' for value in records.values()):
        raise checkpoint_pickle.FormatProblem(f'holds only a discriminator (keys {list(keys)}); a viewer needs a generator, '
            'expected key \'G_ema\' or \'G\'')
    raise checkpoint_pickle.FormatProblem(f'holds no generator: keys present {list(keys)}; expected \'G_ema\' or \'G\'')

def _check_is_generator(value, where: str) -> None:
    if not isinstance(value, checkpoint_pickle.PersistentRecord):
        raise checkpoint_pickle.FormatProblem(f'{where} holds a {type(value).__name__}, expected a Generator network')
    if value.class_name == 'Discriminator':
        raise checkpoint_pickle.FormatProblem(f'{where} holds a discriminator; a viewer needs a generator (\'G_ema\' or \'G\')')
    if value.class_name != 'Generator':
        raise checkpoint_pickle.FormatProblem(f'{where} holds a {value.class_name!r} network, expected a Generator')

def detect_architecture(record: checkpoint_pickle.PersistentRecord) -> str:
    """'stylegan3-t' | 'stylegan3-r' | 'stylegan2' from the class names under `record` and its kwargs."""
    synthesis = record.children().get('synthesis')
    parts = checkpoint_pickle.class_names(synthesis) if synthesis is not None else set()
    if 'SynthesisInput' in parts:
        kwargs = record.init_kwargs
        radial = kwargs.get('conv_kernel') == 1 or bool(kwargs.get('use_radial_filters', False))
        return 'stylegan3-r' if radial else 'stylegan3-t'
    if 'SynthesisBlock' in parts:
        return 'stylegan2'
    raise checkpoint_pickle.FormatProblem(f'the generator is of an architecture we do not support (synthesis network made of '
        f'{sorted(parts) or "nothing"}); expected StyleGAN3-T/-R (SynthesisInput, SynthesisLayer) or StyleGAN2 (SynthesisBlock)')

def _init_kwargs(record: checkpoint_pickle.PersistentRecord) -> dict:
    args = checkpoint_pickle.to_plain(record.init_args)
    kwargs = checkpoint_pickle.to_plain(record.init_kwargs)
    if len(args) > len(POSITIONAL_ARGS):
        raise checkpoint_pickle.FormatProblem(f'the generator was built with {len(args)} positional arguments; expected at most {len(POSITIONAL_ARGS)}')
    return dict(zip(POSITIONAL_ARGS, args)) | kwargs

#----------------------------------------------------------------------------
# Rebuilding our generator.

def _generator_class(architecture: str):
    if architecture == 'stylegan2':
        from sg3 import networks_stylegan2
        return networks_stylegan2.Generator
    from sg3 import networks_stylegan3
    return networks_stylegan3.Generator

def build_generator(
    architecture:   str,                    # 'stylegan3-t' | 'stylegan3-r' | 'stylegan2'.
    init_kwargs:    dict,                   # The official constructor arguments.
    shapes:         dict,                   # {official tensor name: shape} found in the file.
    optional:       set,                    # Names in the file that need not be used (non-persistent buffers).
    read_tensor:    Callable,               # name -> torch.Tensor, called once for each expected name.
) -> torch.nn.Module:
    """Construct our generator and give it every tensor of its state dict. Raises FormatProblem on mismatch."""
    _check_arguments(architecture, init_kwargs)
    cls = _generator_class(architecture)
    try:
        G = _construct(cls, init_kwargs, architecture, random_init=False)
    except checkpoint_pickle.FormatProblem: # Retry as the class means to run: either that works, or it raises the same problem.
        G = _construct(cls, init_kwargs, architecture, random_init=True)
    expected = {name: tuple(tensor.shape) for name, tensor in G.state_dict().items()}
    missing = [name for name in expected if name not in shapes]
    unexpected = [name for name in shapes if name not in expected and name not in optional]
    wrong = [f'{name} {list(shapes[name])} (expected {list(shape)})' for name, shape in expected.items()
        if name in shapes and tuple(shapes[name]) != shape]
    if missing or unexpected or wrong:
        problems = [f'{label} ({len(items)}): {", ".join(items[:8])}{", ..." if len(items) > 8 else ""}'
            for label, items in [('missing', missing), ('unexpected', unexpected), ('wrong shape', wrong)] if items]
        raise checkpoint_pickle.FormatProblem('its tensors do not match the generator its constructor arguments describe: ' + '; '.join(problems))
    state_dict = {}
    for name in expected:
        tensor = read_tensor(name)
        state_dict[name] = tensor.contiguous() if tensor.dtype == torch.float32 else tensor.to(torch.float32).contiguous()
    if _has_tensors_outside_state_dict(G): # Those would keep the uninitialized values: construct properly instead.
        G = _construct(cls, init_kwargs, architecture, random_init=True)
    G.load_state_dict(state_dict, strict=True, assign=True)
    return G

class _UninitializedRandom(torch.overrides.TorchFunctionMode):
    """Turns torch.randn / torch.rand into torch.empty: random initial weights that the file replaces anyway
    cost more than the rest of loading (and would consume the caller's random numbers)."""
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func is torch.randn or func is torch.rand:
            kwargs.pop('generator', None)
            return torch.empty(*args, **kwargs)
        return func(*args, **kwargs)

def _construct(cls, init_kwargs: dict, architecture: str, random_init: bool) -> torch.nn.Module:
    """Our generator on the CPU; with random_init=False its random weights are left uninitialized."""
    try:
        with torch.random.fork_rng(devices=[]): # Leave the caller's random state alone.
            if random_init:
                return cls(**init_kwargs)
            with _UninitializedRandom():
                return cls(**init_kwargs)
    except Exception as e: # Whatever the constructor raises for arguments it does not support.
        raise _unsupported(architecture, init_kwargs, f'{type(e).__name__}: {checkpoint_pickle.short_repr(str(e))}') from None

def _check_arguments(architecture: str, init_kwargs: dict) -> None:
    """Refuse the constructor arguments that our generators would only refuse by an assert (skipped by python -O)."""
    if architecture != 'stylegan2':
        return
    synthesis_kwargs = init_kwargs.get('synthesis_kwargs')
    nested = synthesis_kwargs.get('architecture', 'skip') if isinstance(synthesis_kwargs, dict) else 'skip'
    chosen = init_kwargs.get('architecture', nested) # Top-level arguments override synthesis_kwargs, as in the constructor.
    if chosen != 'skip':
        raise _unsupported(architecture, init_kwargs, f"synthesis architecture {checkpoint_pickle.short_repr(chosen)}; "
            f"expected 'skip', the one of NVIDIA's StyleGAN2 generators")

def _unsupported(architecture: str, init_kwargs: dict, why: str) -> checkpoint_pickle.FormatProblem:
    return checkpoint_pickle.FormatProblem(f'its constructor arguments are not supported by our {ARCHITECTURE_TITLES[architecture]} generator '
        f'({why}); arguments: {checkpoint_pickle.short_repr(init_kwargs)}')

def _has_tensors_outside_state_dict(G: torch.nn.Module) -> bool:
    """True if some tensor of G (a non-persistent buffer, a plain tensor attribute) is not in its state dict."""
    for module in G.modules():
        if module._non_persistent_buffers_set or any(isinstance(value, torch.Tensor) for value in vars(module).values()):
            return True
    return False

#----------------------------------------------------------------------------
# Our own format.

def _load_ours(path: str, source: str) -> tuple[torch.nn.Module, dict]:
    try:
        architecture, init_kwargs, training_set_kwargs, state_dict = checkpoint_format.read_network_file(path)
        G = build_generator(architecture, init_kwargs, {name: tuple(t.shape) for name, t in state_dict.items()}, set(), state_dict.__getitem__)
    except (checkpoint_format.FormatProblem, checkpoint_pickle.FormatProblem) as e:
        raise CheckpointError(f'{source}: {e}') from None
    return G, dict(keys=(), key=None, training_set_kwargs=training_set_kwargs, init_kwargs=init_kwargs)

def save_network(G: torch.nn.Module, path: str, training_set_kwargs: dict|None = None) -> None:
    """Write `G` (one of our generators) in our safetensors format; `load_network(path)` reads it back exactly."""
    checkpoint_format.save_network(G, path, training_set_kwargs=training_set_kwargs)

#----------------------------------------------------------------------------
