"""The web console (issue 15): server-rendered pages for producers, inspectors and the OCOP office.

``app`` routes a request to a page, ``session`` keeps who is signed in (a signed cookie)
and the forms' CSRF tokens, ``oauth`` is Cognito's hosted sign-in (authorization code with
PKCE), ``frame`` the layout, stylesheet and security headers, ``views`` the pages. Design,
decisions and what remains: docs/CONSOLE.md.
"""
