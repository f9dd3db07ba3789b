"""SCIM 2.0 provisioning (RFC 7643/7644): the identity provider keeps the directory current.

Only directory resources exist here (people and teams); nothing in this package reads
responses, invitations or anything collected (an import-linter contract holds it to that)."""
