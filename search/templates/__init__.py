"""Page templates and the stylesheet (a package so setuptools ships them with the code)."""
