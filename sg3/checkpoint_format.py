"""Our own network format: a safetensors file holding the generator's state dict, with the architecture
and the constructor arguments as JSON in its metadata. Reading it runs nothing from the file."""

import json
import os
import stat

import torch

from sg3.errors import CheckpointError
from sg3.files import replacing

#----------------------------------------------------------------------------

FORMAT_NAME = 'sg3-viz'
FORMAT_VERSION = 1
ARCHITECTURES = ('stylegan3-t', 'stylegan3-r', 'stylegan2')
SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024 # Larger headers are not ones safetensors itself would write.

class FormatProblem(Exception):
    """The file is not a valid sg3-viz safetensors file. The caller names the file in its error."""

def looks_like_safetensors(head: bytes) -> bool:
    """True if the first bytes of a file are a safetensors header: u64 length, then a JSON object."""
    if len(head) < 9:
        return False
    header_size = int.from_bytes(head[:8], 'little')
    return 2 <= header_size <= SAFETENSORS_MAX_HEADER and head[8:9] == b'{'

def save_network(
    G:                      torch.nn.Module,    # Generator of ours: has `architecture` and `init_kwargs`.
    path:                   str,                # Output file, conventionally `*.safetensors`.
    training_set_kwargs:    dict|None = None,   # The training-set facts to keep, if any (JSON-serializable).
) -> None:
    """Write `G` in our format. The file is written under a temporary name and renamed when complete."""
    import safetensors.torch
    architecture = getattr(G, 'architecture', None)
    if architecture not in ARCHITECTURES or not isinstance(getattr(G, 'init_kwargs', None), dict):
        raise CheckpointError(f'G is a {type(G).__name__} with architecture {architecture!r}: expected one of our generators '
            f'(architecture one of {list(ARCHITECTURES)}, constructor arguments in init_kwargs)')
    metadata = {
        'format':               FORMAT_NAME,
        'version':              str(FORMAT_VERSION),
        'architecture':         architecture,
        'init_kwargs':          json.dumps(G.init_kwargs),
        'training_set_kwargs':  json.dumps(training_set_kwargs),
    }
    tensors = {name: tensor.detach().to('cpu').contiguous().clone() for name, tensor in G.state_dict().items()}
    with replacing(path) as temp_path:
        mode = stat.S_IMODE(os.stat(temp_path).st_mode)     # safetensors writes its file private (0600): keep ours.
        safetensors.torch.save_file(tensors, temp_path, metadata=metadata)
        os.chmod(temp_path, mode)

def read_network_file(path: str) -> tuple[str, dict, dict|None, dict]:
    """Return (architecture, init_kwargs, training_set_kwargs, state dict) of a file in our format."""
    import safetensors
    try:
        with safetensors.safe_open(path, framework='pt', device='cpu') as f:
            metadata = f.metadata() or {}
            _check_metadata(metadata)
            state_dict = {name: f.get_tensor(name) for name in f.keys()}
    except FormatProblem:
        raise
    except Exception as e: # safetensors reports bad headers and short files with its own exception types.
        raise FormatProblem(f'not a readable safetensors file ({e})') from None
    try:
        init_kwargs = json.loads(metadata['init_kwargs'])
        training_set_kwargs = json.loads(metadata.get('training_set_kwargs', 'null'))
    except (KeyError, ValueError) as e:
        raise FormatProblem(f'its metadata lacks valid JSON init_kwargs / training_set_kwargs ({e})') from None
    if not isinstance(init_kwargs, dict) or not (training_set_kwargs is None or isinstance(training_set_kwargs, dict)):
        raise FormatProblem('its metadata init_kwargs must be a JSON object and training_set_kwargs an object or null')
    return metadata['architecture'], init_kwargs, training_set_kwargs, state_dict

def _check_metadata(metadata: dict) -> None:
    if metadata.get('format') != FORMAT_NAME:
        raise FormatProblem(f'a safetensors file without sg3-viz metadata (format {metadata.get("format")!r}); '
            f'expected one written by `python -m sg3 convert`, which records the architecture and constructor arguments')
    if metadata.get('version') != str(FORMAT_VERSION):
        raise FormatProblem(f'sg3-viz format version {metadata.get("version")!r}; this version of sg3 reads version {FORMAT_VERSION}')
    if metadata.get('architecture') not in ARCHITECTURES:
        raise FormatProblem(f'architecture {metadata.get("architecture")!r}; expected one of {list(ARCHITECTURES)}')

#----------------------------------------------------------------------------
