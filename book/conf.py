"""Sphinx configuration of the course book; ``book/build.py`` stages the pages and runs Sphinx with it."""

import dlkit

project = "dlkit: deep learning from a neuron to transformers"
author = "the dlkit course"
copyright = "the dlkit course authors, MIT licence"
version = release = dlkit.__version__

extensions = [
    "myst_nb",                 # notebooks and MyST markdown pages
    "sphinx_togglebutton",     # folded boxes (":class: dropdown") for written answers
    "sphinx-mathjax-offline",  # MathJax served with the book, not from a CDN: the book reads offline
]
exclude_patterns = ["**.ipynb_checkpoints"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# Execute each lesson once and keep the outputs: a rebuild after a prose edit runs nothing.
nb_execution_mode = "cache"
nb_execution_timeout = 900
nb_execution_raise_on_error = True        # a failing solution cell fails the build
nb_execution_show_tb = True
# A widget's static picture, not the live view, which needs a kernel and JavaScript from a CDN.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js = {}

html_theme = "sphinx_book_theme"
html_title = "dlkit course"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": dlkit.REPOSITORY_URL,
    "use_repository_button": True,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_show_sourcelink = False
html_context = {"default_mode": "light"}   # without it the theme logs an error on a first visit
