"""What autoencoder codes are used for: retrieval by binary codes (:mod:`.hashing`), anomaly
detection (:mod:`.anomaly`), and image restoration and compression (:mod:`.imaging`).

Each module builds on the core (models, ``fit``, evaluation) and on nothing here; the explorers
for them live in :mod:`aekit.widgets` with the others.
"""
