"""Interactive explorers: sliders over a pure render function with a per-setting cache."""
from aekit.widgets.base import Explorer, SettingCache
from aekit.widgets.bottleneck import BottleneckStudy, bottleneck_explorer

__all__ = ["Explorer", "SettingCache", "BottleneckStudy", "bottleneck_explorer"]
