"""The decision page: where a manager records a decision from the link in an email.

Links are signed (HMAC-SHA256) and expire; each works only for one person, one
case and one stage. The decision goes to the workflow as an Update, so the page
shows the workflow's own acceptance or refusal.
"""
