-- Two customers with similar data: Li Wei (the subject of the README's walk-through) and Li Wen, who must stay
-- untouched. The same statements load both example databases.
INSERT INTO customers VALUES (1, 'li.wei@example.com', '+86 138 0000 0000', 'Li Wei', '1990-04-01', '2024-01-05 09:00:00');
INSERT INTO customers VALUES (2, 'li.wen@example.com', '+86 138 0000 0001', 'Li Wen', '1991-05-02', '2024-02-06 10:00:00');
INSERT INTO addresses VALUES (10, 1, '1 Nanjing Road', 'Shanghai', '200001');
INSERT INTO addresses VALUES (11, 1, '9 Office Park', 'Shanghai', '200002');
INSERT INTO addresses VALUES (12, 2, '2 Nanjing Road', 'Shanghai', '200001');
INSERT INTO orders VALUES (100, 1, '1 Nanjing Road, Shanghai', 12900, '2025-03-01 12:00:00');
INSERT INTO orders VALUES (101, 1, '9 Office Park, Shanghai', 4500, '2025-06-01 12:00:00');
INSERT INTO orders VALUES (102, 2, '2 Nanjing Road, Shanghai', 9900, '2025-03-02 12:00:00');
INSERT INTO order_items VALUES (1000, 100, 'TEA-001', 2, 'Happy birthday, Mum');
INSERT INTO order_items VALUES (1001, 100, 'CUP-002', 1, NULL);
INSERT INTO order_items VALUES (1002, 101, 'TEA-003', 1, NULL);
INSERT INTO order_items VALUES (1003, 102, 'TEA-001', 1, 'For Li Wen''s father');
INSERT INTO support_tickets VALUES (500, 1, 'Late delivery', 'My order 100 has not arrived.');
INSERT INTO support_tickets VALUES (501, 2, 'Late delivery', 'My order 102 has not arrived.');
INSERT INTO marketing_consents VALUES (900, 'li.wei@example.com', 'email', '2024-01-05 09:00:00');
INSERT INTO marketing_consents VALUES (901, 'li.wen@example.com', 'email', '2024-02-06 10:00:00');
