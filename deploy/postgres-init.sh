#!/bin/sh
# Creates the records database and its user beside Temporal's own databases. The password is
# passed as a psql variable (:'records_password' quotes it), never pasted into the SQL.
set -eu
psql -v ON_ERROR_STOP=1 -v records_password="${RECORDS_DB_PASSWORD}" --username postgres <<'SQL'
CREATE USER escalation WITH PASSWORD :'records_password';
CREATE DATABASE escalation OWNER escalation;
SQL
