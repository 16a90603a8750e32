-- Roles for Rightsdesk on the example shop in PostgreSQL (schema shop): a read-only collector and an eraser.
-- Register the system with "dsn" as the collector and "erase_dsn" as the eraser.
CREATE ROLE rd_collector LOGIN PASSWORD 'change-me';
GRANT USAGE ON SCHEMA shop TO rd_collector;
GRANT SELECT ON ALL TABLES IN SCHEMA shop TO rd_collector;
CREATE ROLE rd_eraser LOGIN PASSWORD 'change-me-too';
GRANT USAGE ON SCHEMA shop TO rd_eraser;
GRANT SELECT, UPDATE, DELETE ON ALL TABLES IN SCHEMA shop TO rd_eraser;
