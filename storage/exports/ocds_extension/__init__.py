"""The remote-compute OCDS extension (extension.json + release-schema.json, the layout OCDS extensions use),
kept as a package so the JSON files install with the code. Documented in docs/ocds-extension.md."""
