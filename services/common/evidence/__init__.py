"""Evidence (佐证材料): files attached to reports, close-out requests and instructions.

One seam for every owner: the bytes stream through a `BlobStore` (a local directory, or S3-compatible object storage)
while their type is read from the content and their size bounded (sniff.py), and a short transaction then writes
the metadata row (service.py). A service declares its owners (who may read and write, when the owner freezes) and
mounts the routes (routes.py); the table is the same in every service (table.py).
"""
