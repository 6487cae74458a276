"""reportqa: ask Chinese government science-and-technology reports a question, get the cited passage."""

__version__ = "0.1.0"
