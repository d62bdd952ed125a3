EXTRACTOR_VERSION = "0.2.0"  # bump when extraction output changes; reextract compares it
