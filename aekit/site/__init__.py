"""The course as a static website whose explorers work without a kernel.

:mod:`aekit.site.frames` turns an explorer into HTML with a frame per setting (export mode,
``AEKIT_EXPORT=1``); :mod:`aekit.site.build` executes the lessons in that mode and publishes
them with Jupyter Book (``make site`` or ``python -m aekit.site``).
"""
