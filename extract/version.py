EXTRACTOR_VERSION = "0.3.0"  # bump when extraction output changes; reextract compares it
