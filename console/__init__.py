"""The partnership console: a signed-in web page for the people who run the procedure.

Case systems have the SDK, managers the decision page from their email, admins the
Temporal Web UI. The partnership's Business Manager, the Independent Chair, the
Quality Assurance Service and the conference chairs watching their alerts have this:
sign-in through the partnership's OpenID Connect provider (``console.oidc``), roles
per partnership (``console.access``), a signed and encrypted session cookie with a
CSRF token on every form (``console.guard``), and every action recorded with the
signed-in identity (``console.audit``). The pages read the records database and ask
the workflows; actions go to the workflows as Updates, so the page shows each
workflow's own acceptance or refusal.
"""
