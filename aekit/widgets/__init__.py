"""Interactive explorers: one :class:`~aekit.widgets.study.Study` per topic (what is trained
per setting, and a pure render), and one :class:`~aekit.widgets.base.Explorer` pattern
(controls, a per-setting picture cache, a static copy for saved notebooks).

Every factory reads ``xxx_explorer(dataset, *, study=None, **settings_and_options)``.
"""
from aekit.widgets.base import Explorer, PNGCache, SettingCache
from aekit.widgets.study import Control, Study, make_explorer
from aekit.widgets.bottleneck import BottleneckStudy, bottleneck_explorer
from aekit.widgets.linear_pca import LinearPCAStudy, linear_pca_explorer
from aekit.widgets.overcomplete import OvercompleteStudy, overcomplete_explorer
from aekit.widgets.sparse import SparseStudy, sparse_explorer
from aekit.widgets.denoising import DenoisingStudy, denoising_explorer
from aekit.widgets.contractive import ContractiveStudy, contractive_explorer
from aekit.widgets.vae import VAEStudy, vae_explorer
from aekit.widgets.concrete import ConcreteStudy, concrete_explorer
from aekit.widgets.hashing import HashingStudy, hashing_explorer
from aekit.widgets.anomaly import OneClassStudy, anomaly_explorer
from aekit.widgets.image_denoising import ImageDenoisingStudy, image_denoising_explorer
from aekit.widgets.compression import CompressionStudy, compression_explorer

__all__ = ["Explorer", "PNGCache", "SettingCache", "Control", "Study", "make_explorer",
           "BottleneckStudy", "bottleneck_explorer", "LinearPCAStudy", "linear_pca_explorer",
           "OvercompleteStudy", "overcomplete_explorer", "SparseStudy", "sparse_explorer",
           "DenoisingStudy", "denoising_explorer", "ContractiveStudy", "contractive_explorer",
           "VAEStudy", "vae_explorer", "ConcreteStudy", "concrete_explorer", "HashingStudy",
           "hashing_explorer", "OneClassStudy", "anomaly_explorer", "ImageDenoisingStudy",
           "image_denoising_explorer", "CompressionStudy", "compression_explorer"]
