DROP TABLE sales_order_line, sales_order, order_number_sequence;
