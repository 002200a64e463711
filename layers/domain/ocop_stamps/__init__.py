"""Domain package of the OCOP traceability stamp service, shipped to Lambda as a layer.

Handlers route and validate; everything else -- schemas, models, the code scheme, the
verdict rules, data access -- lives here so every function shares one definition.
"""
