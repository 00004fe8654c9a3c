"""Knowledge ingestion, the pure file-reading side: finding and reading documents, cutting them into
retrievable chunks, and parsing past tickets and replay directories.

Nothing here touches a store or the network, so every rule about what a file may contain is
tested with plain temporary files; the service that stores chunks and tickets builds on these.
"""
