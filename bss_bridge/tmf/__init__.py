"""The BSS's resources in TM Forum Open API v4 words: pure functions from domain objects to the
JSON of TMF620/622/629/637/666 (the API answers and the hubs' notifications show a resource the
same way), and the parsing of their inputs into commands."""
