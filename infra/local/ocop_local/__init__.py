"""The local stack: the SAM application on 127.0.0.1, routes and tables read from infra/template.yaml."""
