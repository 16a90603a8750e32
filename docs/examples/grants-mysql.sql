-- Users for Rightsdesk on the example shop in MySQL or MariaDB (database shop): a read-only collector and an
-- eraser. Register the system with "dsn" as the collector and "erase_dsn" as the eraser.
CREATE USER 'rd_collector'@'%' IDENTIFIED BY 'change-me';
GRANT SELECT ON shop.* TO 'rd_collector'@'%';
CREATE USER 'rd_eraser'@'%' IDENTIFIED BY 'change-me-too';
GRANT SELECT, UPDATE, DELETE ON shop.* TO 'rd_eraser'@'%';
