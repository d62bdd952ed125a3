"""The site's pages, one module per page (Datasette's manner): each computes its data once, in one function,
and renders it as HTML (a Jinja template) or JSON (its /api route). `common` holds what every page needs.
How to add a page: docs/architecture.md."""
