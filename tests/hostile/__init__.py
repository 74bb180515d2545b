"""Bad input and hostile callers, for the three services, generated from their published contracts.

conftest.py builds one world per service (the app on its own database, real objects of unit A); world.py
fingerprints a database cheaply so that every refused request is shown to change nothing; contract.py
reads the operations from openapi/*.json, so a new endpoint is attacked as soon as it is published.
"""
