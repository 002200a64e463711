"""Integration tier: handlers on events/ against moto, the CLI against a stub, the template against AWS tooling."""
