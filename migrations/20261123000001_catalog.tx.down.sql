DROP TABLE contact_web_role, contact, web_role, price, product_unit, product,
    delivery_address, customer_account, price_list, legal_entity, unit, country, currency;
