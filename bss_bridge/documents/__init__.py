"""Documents for people: an invoice as HTML (a function returning the page, reusable by any web
page), as PDF (the same HTML laid out by WeasyPrint) and its lines as CSV."""
