"""Interactive explorers: sliders over a pure render function with a per-setting cache."""
from aekit.widgets.anomaly import anomaly_explorer
from aekit.widgets.base import Explorer, SettingCache
from aekit.widgets.bottleneck import BottleneckStudy, bottleneck_explorer
from aekit.widgets.hashing import hashing_explorer
from aekit.widgets.linear_pca import LinearPCAStudy, linear_pca_explorer
from aekit.widgets.overcomplete import OvercompleteStudy, overcomplete_explorer
from aekit.widgets.contractive import ContractiveStudy, contractive_explorer
from aekit.widgets.denoising import DenoisingStudy, denoising_explorer
from aekit.widgets.sparse import SparseStudy, sparse_explorer
from aekit.widgets.concrete import ConcreteStudy, concrete_explorer
from aekit.widgets.vae import VAEStudy, vae_explorer
from aekit.widgets.image_denoising import ImageDenoisingStudy, image_denoising_explorer
from aekit.widgets.compression import CompressionStudy, compression_explorer

__all__ = ["Explorer", "SettingCache", "BottleneckStudy", "bottleneck_explorer",
           "DenoisingStudy", "denoising_explorer", "SparseStudy", "sparse_explorer",
           "ContractiveStudy", "contractive_explorer"]
__all__ += ["LinearPCAStudy", "linear_pca_explorer", "hashing_explorer", "anomaly_explorer"]
__all__ += ["OvercompleteStudy", "overcomplete_explorer"]
__all__ += ["VAEStudy", "vae_explorer", "ConcreteStudy", "concrete_explorer"]
__all__ += ["ImageDenoisingStudy", "image_denoising_explorer", "CompressionStudy",
            "compression_explorer"]
