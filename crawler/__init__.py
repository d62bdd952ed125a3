from crawler.egg import unpacked_package_path

# Deployed to Scrapyd, this package is imported from a zipped egg: run from an unpacked copy (crawler/egg.py).
__path__ = unpacked_package_path(__name__, __path__)
