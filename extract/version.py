EXTRACTOR_VERSION = "0.1.0"  # bump when extraction output changes; reextract compares it
