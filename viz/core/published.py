"""NVIDIA's published StyleGAN3 and StyleGAN2 networks, as the stylegan3 README lists them (github.com/NVlabs/stylegan3,
"Additional material"): the file names and the two NGC folders they are served from. One click in the network section
loads a URL like any other (downloaded into the cache with progress, then opened).

The file sizes are not published next to the names, so none are shown. `$SG3_VIZ_PUBLISHED_BASE` replaces both folders
with one base URL (the tests serve the real file names from a local server).
"""

from __future__ import annotations

import dataclasses
import os
import re

BASE_ENV = 'SG3_VIZ_PUBLISHED_BASE'
NGC = 'https://api.ngc.nvidia.com/v2/models/nvidia/research'
FOLDERS = {'stylegan3': f'{NGC}/stylegan3/versions/1/files', 'stylegan2': f'{NGC}/stylegan2/versions/1/files'}

DATASETS = {                                    # Dataset part of a file name -> what it is.
    'ffhq': 'FFHQ (aligned faces)',
    'ffhqu': 'FFHQ-U (unaligned faces)',
    'metfaces': 'MetFaces (aligned art faces)',
    'metfacesu': 'MetFaces-U (unaligned art faces)',
    'afhqv2': 'AFHQv2 (cats, dogs, wild animals)',
    'afhqcat': 'AFHQ cats',
    'afhqdog': 'AFHQ dogs',
    'afhqwild': 'AFHQ wild animals',
    'brecahad': 'BreCaHAD (histology)',
    'cifar10': 'CIFAR-10 (10 classes)',
    'celebahq': 'CelebA-HQ (faces)',
    'lsundog': 'LSUN Dog',
}
CONFIGS = {'stylegan3-t': 'StyleGAN3-T', 'stylegan3-r': 'StyleGAN3-R', 'stylegan2': 'StyleGAN2'}

FILES = (                                       # As listed in the stylegan3 README, in its order.
    'stylegan3-t-ffhq-1024x1024.pkl', 'stylegan3-t-ffhqu-1024x1024.pkl', 'stylegan3-t-ffhqu-256x256.pkl',
    'stylegan3-r-ffhq-1024x1024.pkl', 'stylegan3-r-ffhqu-1024x1024.pkl', 'stylegan3-r-ffhqu-256x256.pkl',
    'stylegan3-t-metfaces-1024x1024.pkl', 'stylegan3-t-metfacesu-1024x1024.pkl',
    'stylegan3-r-metfaces-1024x1024.pkl', 'stylegan3-r-metfacesu-1024x1024.pkl',
    'stylegan3-t-afhqv2-512x512.pkl',
    'stylegan3-r-afhqv2-512x512.pkl',
    'stylegan2-ffhq-1024x1024.pkl', 'stylegan2-ffhq-512x512.pkl', 'stylegan2-ffhq-256x256.pkl',
    'stylegan2-ffhqu-1024x1024.pkl', 'stylegan2-ffhqu-256x256.pkl',
    'stylegan2-metfaces-1024x1024.pkl', 'stylegan2-metfacesu-1024x1024.pkl',
    'stylegan2-afhqv2-512x512.pkl',
    'stylegan2-afhqcat-512x512.pkl', 'stylegan2-afhqdog-512x512.pkl', 'stylegan2-afhqwild-512x512.pkl',
    'stylegan2-brecahad-512x512.pkl', 'stylegan2-cifar10-32x32.pkl',
    'stylegan2-celebahq-256x256.pkl', 'stylegan2-lsundog-256x256.pkl',
)


@dataclasses.dataclass(frozen=True)
class PublishedNetwork:
    file: str                                   # File name, e.g. 'stylegan3-t-ffhq-1024x1024.pkl'.
    config: str                                 # 'stylegan3-t' | 'stylegan3-r' | 'stylegan2'.
    dataset: str                                # Dataset part of the name, e.g. 'ffhqu'.
    resolution: int                             # Output size in pixels (square).
    url: str                                    # Where it is downloaded from.
    size_mb: float | None = None                # Download size; None = not published.

    @property
    def name(self) -> str:
        return self.file[:-len('.pkl')]

    @property
    def label(self) -> str:
        """'StyleGAN3-T  FFHQ-U (unaligned faces)  1024 px'."""
        return f'{CONFIGS[self.config]}  {DATASETS[self.dataset]}  {self.resolution} px'


def parse(file: str, base: str | None = None) -> PublishedNetwork:
    """The entry of a published file name; `base` replaces its NGC folder."""
    m = re.fullmatch(r'(stylegan3-[tr]|stylegan2)-([a-z0-9]+)-(\d+)x\3\.pkl', file)
    if m is None or m.group(2) not in DATASETS:
        raise ValueError(f'published network {file!r}: expected CONFIG-DATASET-NxN.pkl with a known dataset')
    config, dataset, resolution = m.group(1), m.group(2), int(m.group(3))
    folder = base.rstrip('/') if base else FOLDERS[config.split('-')[0]]
    return PublishedNetwork(file=file, config=config, dataset=dataset, resolution=resolution, url=f'{folder}/{file}')


def published_networks(base: str | None = None) -> tuple[PublishedNetwork, ...]:
    """Every published network; `base` (default: $SG3_VIZ_PUBLISHED_BASE, else NVIDIA's folders) is where they come from."""
    base = base if base is not None else os.environ.get(BASE_ENV) or None
    return tuple(parse(file, base) for file in FILES)


def find(source: str) -> PublishedNetwork | None:
    """The published network a source names (its URL under the current base), or None."""
    return next((net for net in published_networks() if net.url == source), None)


def readme_table() -> str:
    """The README's table of the published networks (Markdown)."""
    rows = ['| Network | Config | Dataset | Resolution | URL |', '|---|---|---|---|---|']
    for net in published_networks(base=''):
        rows.append(f'| {net.name} | {CONFIGS[net.config]} | {DATASETS[net.dataset]} | {net.resolution} | {net.url} |')
    return '\n'.join(rows)
