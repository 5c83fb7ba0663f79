"""Writes network pickles in NVIDIA's format, the way NVIDIA's code writes them, without NVIDIA's code.

A generator is described by its official state dict and constructor arguments; the module tree, the
class names and the plain attributes each official class carries (with the numpy scalars and int64
arrays the real files contain) are derived from the dotted tensor names. The stream is produced by
Python's own Pickler, so it has exactly the opcodes, memo references and framing of a real file:
every network object reduces to `torch_utils.persistence._reconstruct_persistent_obj(meta)`, nested
kwargs are `dnnlib.util.EasyDict`, tensors and parameters are torch's own reductions (with storages
as legacy `torch.save` bytes), and numpy values use the numpy-1 (`numpy.core.multiarray`) or
numpy-2 (`numpy._core.multiarray`) spelling. While writing, stand-in modules named `torch_utils` and
`dnnlib` (and, for the numpy-1 spelling, `numpy.core.multiarray`) are registered in `sys.modules`
so that the Pickler can name them; they are removed afterwards.
"""

import collections
import contextlib
import io
import pickle
import pickletools
import re
import sys
import types

import numpy as np
import torch

#----------------------------------------------------------------------------
# Stand-ins that the Pickler names by their official module and qualified name.

def _reconstruct_persistent_obj(meta):
    raise RuntimeError('stand-in of torch_utils.persistence._reconstruct_persistent_obj: only for writing')
_reconstruct_persistent_obj.__module__ = 'torch_utils.persistence'

class EasyDict(dict):
    """Pickles as `dnnlib.util.EasyDict`: NEWOBJ, then SETITEMS."""
EasyDict.__module__ = 'dnnlib.util'

def _numpy1_scalar(dtype, data):
    raise RuntimeError('stand-in of numpy.core.multiarray.scalar: only for writing')
_numpy1_scalar.__module__ = 'numpy.core.multiarray'
_numpy1_scalar.__name__ = _numpy1_scalar.__qualname__ = 'scalar'

def _numpy1_reconstruct(cls, shape, typecode):
    raise RuntimeError('stand-in of numpy.core.multiarray._reconstruct: only for writing')
_numpy1_reconstruct.__module__ = 'numpy.core.multiarray'
_numpy1_reconstruct.__name__ = _numpy1_reconstruct.__qualname__ = '_reconstruct'

@contextlib.contextmanager
def _official_module_names(numpy_spelling: str):
    """Temporarily register modules under NVIDIA's (and numpy 1's) names so the Pickler can name our stand-ins."""
    fakes = {
        'torch_utils':              dict(),
        'torch_utils.persistence':  dict(_reconstruct_persistent_obj=_reconstruct_persistent_obj),
        'dnnlib':                   dict(),
        'dnnlib.util':              dict(EasyDict=EasyDict),
    }
    if numpy_spelling == 'numpy1':
        fakes['numpy.core.multiarray'] = dict(scalar=_numpy1_scalar, _reconstruct=_numpy1_reconstruct)
    saved = {name: sys.modules.get(name) for name in fakes}
    try:
        for name, attrs in fakes.items():
            module = types.ModuleType(name)
            module.__dict__.update(attrs)
            sys.modules[name] = module
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module

class _OfficialPickler(pickle.Pickler):
    """Python's Pickler; with the numpy-1 spelling, numpy values are named by numpy 1's module."""
    def __init__(self, file, protocol: int, numpy_spelling: str):
        super().__init__(file, protocol=protocol)
        self.numpy_spelling = numpy_spelling

    def reducer_override(self, obj):
        if self.numpy_spelling == 'numpy1':
            if isinstance(obj, np.generic):
                return (_numpy1_scalar, (obj.dtype, obj.tobytes()))
            if type(obj) is np.ndarray:
                _func, args, state = obj.__reduce__()
                return (_numpy1_reconstruct, args, state)
        return NotImplemented

def dumps(obj, numpy_spelling: str = 'numpy1', protocol: int = 4) -> bytes:
    """Pickle `obj` (built from `PersistentObject`s, EasyDicts, tensors...) as NVIDIA's code would."""
    assert numpy_spelling in ('numpy1', 'numpy2')
    buffer = io.BytesIO()
    with _official_module_names(numpy_spelling):
        _OfficialPickler(buffer, protocol=protocol, numpy_spelling=numpy_spelling).dump(obj)
    return buffer.getvalue()

def write(path, obj, numpy_spelling: str = 'numpy1', protocol: int = 4) -> None:
    with open(path, 'wb') as f:
        f.write(dumps(obj, numpy_spelling=numpy_spelling, protocol=protocol))

#----------------------------------------------------------------------------
# Persistent objects.

PLACEHOLDER_SRC = {
    'networks':     '# Placeholder for the source of NVIDIA\'s training/networks_stylegan3.py (never executed).\n',
    'networks_sg2': '# Placeholder for the source of NVIDIA\'s training/networks_stylegan2.py (never executed).\n',
    'augment':      '# Placeholder for the source of NVIDIA\'s training/augment.py (never executed).\n',
}

class PersistentObject:
    """Reduces exactly like an instance of a class decorated by NVIDIA's `persistence.persistent_class`."""
    def __init__(self, class_name: str, state: dict, module_src: str, version: int = 6):
        self.meta = dict(type='class', version=version, module_src=module_src, class_name=class_name, state=state)

    def __reduce__(self):
        return (_reconstruct_persistent_obj, (self.meta,), None)

def module_state(parameters: dict, buffers: dict, modules: dict, attributes: dict, init_kwargs: dict) -> dict:
    """An instance `__dict__` laid out as torch 2.x's `nn.Module` plus NVIDIA's `_init_args` / `_init_kwargs`."""
    state = dict(
        training                        = False,
        _parameters                     = dict(parameters),
        _buffers                        = dict(buffers),
        _non_persistent_buffers_set     = set(),
        _backward_pre_hooks             = collections.OrderedDict(),
        _backward_hooks                 = collections.OrderedDict(),
        _is_full_backward_hook          = None,
        _forward_hooks                  = collections.OrderedDict(),
        _forward_hooks_with_kwargs      = collections.OrderedDict(),
        _forward_hooks_always_called    = collections.OrderedDict(),
        _forward_pre_hooks              = collections.OrderedDict(),
        _forward_pre_hooks_with_kwargs  = collections.OrderedDict(),
        _state_dict_hooks               = collections.OrderedDict(),
        _state_dict_pre_hooks           = collections.OrderedDict(),
        _load_state_dict_pre_hooks      = collections.OrderedDict(),
        _load_state_dict_post_hooks     = collections.OrderedDict(),
        _modules                        = dict(modules),
    )
    state.update(attributes)
    state['_init_args'] = ()
    state['_init_kwargs'] = _easydicts(init_kwargs)
    return state

def _easydicts(kwargs: dict) -> dict:
    """Nested kwargs dicts become EasyDicts, as in NVIDIA's training configs; the top level stays a dict."""
    return {name: EasyDict(_easydicts(value)) if isinstance(value, dict) else value for name, value in kwargs.items()}

#----------------------------------------------------------------------------
# Generators from an official state dict.

BUFFER_NAMES = {'w_avg', 'transform', 'freqs', 'phases', 'magnitude_ema', 'up_filter', 'down_filter', 'resample_filter', 'noise_const'}

def official_class_name(path: str, architecture: str) -> str:
    """Class of the official module at dotted `path` ('' = the generator)."""
    last = path.rsplit('.', 1)[-1]
    if path == '':
        return 'Generator'
    if path == 'mapping':
        return 'MappingNetwork'
    if path == 'synthesis':
        return 'SynthesisNetwork'
    if last == 'affine' or re.fullmatch(r'fc\d+|embed', last):
        return 'FullyConnectedLayer'
    if architecture == 'stylegan2':
        if re.fullmatch(r'b\d+', last):
            return 'SynthesisBlock'
        return {'conv0': 'SynthesisLayer', 'conv1': 'SynthesisLayer', 'torgb': 'ToRGBLayer', 'skip': 'Conv2dLayer'}[last]
    return 'SynthesisInput' if last == 'input' else 'SynthesisLayer'

def _tree(state_dict: dict) -> dict:
    """{module path: {'tensors': {name: tensor}, 'children': [names]}} in state-dict order."""
    tree = {'': dict(tensors={}, children=[])}
    for name, tensor in state_dict.items():
        parts = name.split('.')
        for depth in range(len(parts) - 1):
            parent, path = '.'.join(parts[:depth]), '.'.join(parts[:depth + 1])
            if path not in tree:
                tree[path] = dict(tensors={}, children=[])
                tree[parent]['children'].append(parts[depth])
        tree['.'.join(parts[:-1])]['tensors'][parts[-1]] = tensor
    return tree

def _attributes(path: str, class_name: str, node: dict, init_kwargs: dict) -> dict:
    """Plain attributes of an official module, with the numpy types the real files carry."""
    f64 = np.float64
    size = lambda n: np.array([n, n], dtype=np.int64)
    tensors = node['tensors']
    if class_name == 'Generator':
        return {name: init_kwargs[name] for name in ['z_dim', 'c_dim', 'w_dim', 'img_resolution', 'img_channels']}
    if class_name == 'FullyConnectedLayer':
        out_features, in_features = tensors['weight'].shape
        return dict(in_features=in_features, out_features=out_features, activation='lrelu' if path.startswith('mapping.fc') else 'linear',
            weight_gain=f64(1 / np.sqrt(in_features)), bias_gain=1.0)
    if class_name == 'MappingNetwork':
        attributes = dict(z_dim=init_kwargs['z_dim'], c_dim=init_kwargs['c_dim'], w_dim=init_kwargs['w_dim'], num_ws=0,
            num_layers=len([child for child in node['children'] if child.startswith('fc')]), w_avg_beta=0.998)
        if init_kwargs['c_dim'] == 0:
            attributes['embed'] = None
        return attributes
    if class_name == 'SynthesisInput':
        channels = tensors['weight'].shape[0]
        return dict(w_dim=init_kwargs['w_dim'], channels=channels, size=size(36), sampling_rate=f64(16.0), bandwidth=f64(2.0))
    if class_name == 'SynthesisLayer' and path.startswith('synthesis.L'):
        _, out_size, out_channels = path.split('.')[-1].split('_')
        return dict(w_dim=init_kwargs['w_dim'], is_torgb='up_filter' not in tensors, is_critically_sampled=False,
            use_fp16=np.bool_(False), in_channels=tensors['weight'].shape[1], out_channels=int(out_channels),
            in_size=size(int(out_size)), out_size=size(int(out_size)), in_sampling_rate=16, out_sampling_rate=16,
            in_cutoff=f64(2.0), out_cutoff=f64(2.5), in_half_width=f64(6.0), out_half_width=f64(5.5),
            conv_kernel=tensors['weight'].shape[-1], conv_clamp=256, magnitude_ema_beta=0.999, padding=[10, 10, 10, 10])
    if class_name == 'SynthesisNetwork':
        return dict(w_dim=init_kwargs['w_dim'], img_resolution=init_kwargs['img_resolution'], img_channels=init_kwargs['img_channels'],
            layer_names=[child for child in node['children'] if child.startswith('L')])
    if class_name in ('SynthesisLayer', 'ToRGBLayer', 'Conv2dLayer'): # StyleGAN2.
        gain = dict(act_gain=f64(np.sqrt(2))) if class_name == 'SynthesisLayer' else dict(weight_gain=f64(1 / np.sqrt(tensors['weight'].shape[1])))
        return dict(in_channels=tensors['weight'].shape[1], out_channels=tensors['weight'].shape[0], conv_clamp=256, **gain)
    if class_name == 'SynthesisBlock':
        return dict(resolution=int(path.rsplit('.b', 1)[-1]), architecture='skip', use_fp16=False, num_conv=2, num_torgb=1)
    return {}

def generator_object(
    state_dict:     dict,               # Official state dict: name -> tensor (or numpy array).
    init_kwargs:    dict,               # The Generator's constructor arguments.
    architecture:   str,                # 'stylegan3-t' | 'stylegan3-r' | 'stylegan2'.
    module_src:     str|None = None,    # Source text stored in every object (default: a placeholder).
    overrides:      dict = {},          # Tensor name -> object to pickle in its place (for hostile files).
    class_name:     str = 'Generator',  # Class name of the top-level object.
    version:        int = 6,            # Persistence version to write.
) -> PersistentObject:
    """A generator as NVIDIA's persistence writes it: parameters, buffers, children, attributes, kwargs."""
    family = 'stylegan2' if architecture == 'stylegan2' else 'stylegan3'
    module_src = PLACEHOLDER_SRC['networks_sg2' if family == 'stylegan2' else 'networks'] if module_src is None else module_src
    tree = _tree(state_dict)

    def build(path: str) -> PersistentObject:
        node = tree[path]
        name_of = (lambda child: f'{path}.{child}' if path else child)
        cls = class_name if path == '' else official_class_name(path, family)
        parameters, buffers = {}, {}
        for name, value in node['tensors'].items():
            full = name_of(name)
            tensor = torch.as_tensor(np.asarray(value)).detach().clone().contiguous()
            if full in overrides:
                (buffers if name in BUFFER_NAMES else parameters)[name] = overrides[full]
            elif name in BUFFER_NAMES:
                buffers[name] = tensor
            else:
                parameters[name] = torch.nn.Parameter(tensor, requires_grad=False)
        if family == 'stylegan3' and cls == 'SynthesisLayer' and 'up_filter' not in buffers:
            buffers.update(up_filter=None, down_filter=None) # The ToRGB layer registers None filters.
        modules = {child: build(name_of(child)) for child in node['children']}
        kwargs = init_kwargs if path == '' else {}
        state = module_state(parameters, buffers, modules, _attributes(path, cls, node, init_kwargs), kwargs)
        return PersistentObject(cls, state, module_src, version=version)

    return build('')

#----------------------------------------------------------------------------
# The other objects of a training snapshot (never needed by a viewer, but present in real files).

def discriminator_object(img_resolution: int = 16, c_dim: int = 0, channels: int = 8, seed: int = 0) -> PersistentObject:
    """A small discriminator-shaped persistent object: blocks of conv layers and an epilogue."""
    generator = torch.Generator().manual_seed(seed)
    randn = lambda *shape: torch.nn.Parameter(torch.randn(shape, generator=generator), requires_grad=False)
    src = PLACEHOLDER_SRC['networks']
    def conv(in_channels, out_channels, kernel):
        return PersistentObject('Conv2dLayer', module_state(dict(weight=randn(out_channels, in_channels, kernel, kernel), bias=randn(out_channels)),
            dict(resample_filter=torch.ones([4, 4]) / 16), {}, dict(in_channels=in_channels, out_channels=out_channels,
            weight_gain=np.float64(1 / np.sqrt(in_channels * kernel * kernel)), act_gain=np.float64(np.sqrt(2))), {}), src)
    blocks = {}
    res = img_resolution
    while res > 4:
        blocks[f'b{res}'] = PersistentObject('DiscriminatorBlock', module_state({}, dict(resample_filter=torch.ones([4, 4]) / 16),
            dict(fromrgb=conv(3, channels, 1), conv0=conv(channels, channels, 3), conv1=conv(channels, channels, 3)),
            dict(resolution=res, architecture='resnet', use_fp16=False), dict(resolution=res)), src)
        res //= 2
    blocks['b4'] = PersistentObject('DiscriminatorEpilogue', module_state({}, {}, dict(conv=conv(channels + 1, channels, 3)),
        dict(resolution=4, cmap_dim=c_dim), {}), src)
    return PersistentObject('Discriminator', module_state({}, {}, blocks, dict(c_dim=c_dim, img_resolution=img_resolution),
        dict(c_dim=c_dim, img_resolution=img_resolution, img_channels=3, channel_base=512, channel_max=channels,
            block_kwargs=dict(freeze_layers=0), mapping_kwargs={}, epilogue_kwargs=dict(mbstd_group_size=4))), src)

def augment_pipe_object() -> PersistentObject:
    """An augmentation-pipeline-shaped persistent object: a probability buffer, filter banks, float attributes."""
    return PersistentObject('AugmentPipe', module_state({}, dict(p=torch.zeros([]), Hz_geom=torch.linspace(-1, 1, 12),
        Hz_fbank=torch.linspace(0, 1, 4 * 12).reshape(4, 12)), {}, dict(xflip=1.0, rotate90=1.0, xint=1.0, scale=1.0),
        dict(xflip=1, rotate90=1, xint=1, scale=1)), PLACEHOLDER_SRC['augment'])

TRAINING_SET_KWARGS = dict(class_name='training.dataset.ImageFolderDataset', path='~/datasets/ffhq-64x64.zip',
    use_labels=False, max_size=70000, xflip=True, resolution=64, random_seed=0)

def snapshot(G_ema: PersistentObject, G: PersistentObject|None = None, D: PersistentObject|None = None,
        augment_pipe: PersistentObject|None = None, training_set_kwargs: dict|None = TRAINING_SET_KWARGS) -> dict:
    """A training snapshot dict with NVIDIA's key order. `G` defaults to the same object as `G_ema` (memo)."""
    return dict(G=G_ema if G is None else G, D=discriminator_object() if D is None else D, G_ema=G_ema,
        augment_pipe=augment_pipe_object() if augment_pipe is None else augment_pipe,
        training_set_kwargs=None if training_set_kwargs is None else dict(training_set_kwargs))

#----------------------------------------------------------------------------
# Small random-weight networks of our own classes, written as official kwargs.

SMALL_KWARGS = {
    'stylegan3-t':  dict(z_dim=32, w_dim=32, mapping_kwargs=dict(num_layers=2), channel_base=1024, channel_max=32,
                        magnitude_ema_beta=0.999, img_resolution=16, img_channels=3),
    'stylegan3-r':  dict(z_dim=32, w_dim=32, mapping_kwargs=dict(num_layers=2), channel_base=1024, channel_max=64,
                        magnitude_ema_beta=0.999, conv_kernel=1, use_radial_filters=True, img_resolution=16, img_channels=3),
    'stylegan2':    dict(z_dim=32, w_dim=32, mapping_kwargs=dict(num_layers=8), channel_base=512, channel_max=32,
                        fused_modconv_default='inference_only', img_resolution=16, img_channels=3),
    'stylegan2-ada': dict(z_dim=32, w_dim=32, mapping_kwargs=dict(num_layers=2),
                        synthesis_kwargs=dict(channel_base=512, channel_max=32, num_fp16_res=4, conv_clamp=256),
                        img_resolution=16, img_channels=3),
}

def random_generator(config: str, c_dim: int = 0, seed: int = 0) -> tuple[torch.nn.Module, dict, str]:
    """(our generator with random weights and non-trivial buffers, its official init kwargs, architecture)."""
    architecture = 'stylegan2' if config.startswith('stylegan2') else config
    init_kwargs = dict(SMALL_KWARGS[config], c_dim=c_dim)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if architecture == 'stylegan2':
            from sg3.networks_stylegan2 import Generator
        else:
            from sg3.networks_stylegan3 import Generator
        G = Generator(**init_kwargs).eval().requires_grad_(False)
        with torch.no_grad():
            for name, tensor in G.state_dict().items():
                if name.endswith(('bias', 'w_avg', 'noise_strength')):
                    tensor.copy_(torch.randn_like(tensor) * 0.3)
                elif name.endswith('magnitude_ema'):
                    tensor.fill_(float(torch.rand([])) + 0.5)
    return G, init_kwargs, architecture

def referenced_globals(data: bytes) -> set:
    """Every 'module.name' a pickle stream asks its unpickler to resolve (read with pickletools, nothing run)."""
    names, memo, pushed = set(), {}, []
    string_ops = {'SHORT_BINUNICODE', 'BINUNICODE', 'BINUNICODE8', 'UNICODE', 'SHORT_BINSTRING', 'BINSTRING', 'STRING'}
    for opcode, arg, _pos in pickletools.genops(data):
        if opcode.name in string_ops:
            pushed.append(arg)
        elif opcode.name == 'MEMOIZE':
            memo[len(memo)] = pushed[-1] if pushed else None
        elif opcode.name in ('PUT', 'BINPUT', 'LONG_BINPUT'):
            memo[arg] = pushed[-1] if pushed else None
        elif opcode.name in ('GET', 'BINGET', 'LONG_BINGET'):
            pushed.append(memo.get(arg))
        elif opcode.name == 'STACK_GLOBAL':
            names.add(f'{pushed[-2]}.{pushed[-1]}')
            pushed.append(None)
        elif opcode.name in ('GLOBAL', 'INST'):
            names.add(arg.replace(' ', '.'))
            pushed.append(None)
        elif opcode.name not in ('FRAME', 'PROTO'):
            pushed.append(None)
    return names

#----------------------------------------------------------------------------
