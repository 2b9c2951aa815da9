#!/bin/sh
# Creates the records database and its user beside Temporal's own databases.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE USER escalation WITH PASSWORD '${RECORDS_DB_PASSWORD}';
CREATE DATABASE escalation OWNER escalation;
SQL
