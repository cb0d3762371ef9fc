"""What autoencoder codes are used for: retrieval by binary codes (:mod:`.hashing`), anomaly
detection (:mod:`.anomaly`), image restoration and compression (:mod:`.imaging`), synthetic
medical scans for super-resolution (:mod:`.phantoms`), and toy sequences for translation and
molecule strings (:mod:`.toy_sequences`).

Each module builds on the core (models, ``fit``, evaluation) and on nothing here; the explorers
for them live in :mod:`aekit.widgets` with the others.
"""
