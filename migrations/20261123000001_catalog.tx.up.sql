-- Reference data: ISO 4217 currencies, ISO 3166-1 alpha-2 countries and
-- units of measure. Foreign keys to these turn "unknown currency code" into a
-- constraint the database keeps, not only a check in Go.
CREATE TABLE currency (
    code char(3) PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$')
);
INSERT INTO currency (code)
SELECT unnest(string_to_array(
 'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD '
 'CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD '
 'GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT '
 'LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR '
 'NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP '
 'STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG '
 'XOF XPF YER ZAR ZMW ZWG', ' '));

CREATE TABLE country (
    code char(2) PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$')
);
INSERT INTO country (code)
SELECT unnest(string_to_array(
 'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW '
 'BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI '
 'FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN '
 'IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME '
 'MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF '
 'PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV '
 'SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE '
 'YT ZA ZM ZW', ' '));

-- Units of measure, with how many decimals a quantity in that unit may have.
CREATE TABLE unit (
    code     text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_.-]{0,9}$'),
    name     text NOT NULL,
    decimals smallint NOT NULL DEFAULT 0 CHECK (decimals BETWEEN 0 AND 6)
);
INSERT INTO unit (code, name, decimals) VALUES
 ('ea', 'Each', 0), ('pcs', 'Pieces', 0), ('box', 'Box', 0), ('pack', 'Pack', 0),
 ('case', 'Case', 0), ('pallet', 'Pallet', 0), ('set', 'Set', 0), ('pair', 'Pair', 0),
 ('dozen', 'Dozen', 0), ('roll', 'Roll', 0), ('kg', 'Kilogram', 3), ('g', 'Gram', 0),
 ('t', 'Tonne', 3), ('lb', 'Pound', 3), ('l', 'Litre', 3), ('ml', 'Millilitre', 0),
 ('gal', 'Gallon', 3), ('m', 'Metre', 2), ('cm', 'Centimetre', 1), ('mm', 'Millimetre', 0),
 ('m2', 'Square metre', 2), ('m3', 'Cubic metre', 3), ('ft', 'Foot', 2), ('h', 'Hour', 2);

-- The seed's "Company".
CREATE TABLE legal_entity (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code       text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,9}$'),
    name       text NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE price_list (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    legal_entity_id uuid NOT NULL REFERENCES legal_entity (id),
    code            text NOT NULL CHECK (code <> ''),
    currency        char(3) NOT NULL REFERENCES currency (code),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (legal_entity_id, code),
    -- lets children require "same company" with a composite foreign key
    UNIQUE (legal_entity_id, id)
);

CREATE TABLE customer_account (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    legal_entity_id    uuid NOT NULL REFERENCES legal_entity (id),
    account_number     text NOT NULL CHECK (account_number <> ''),
    name               text NOT NULL CHECK (name <> ''),
    -- the account itself when it pays its own invoices
    invoice_account_id uuid NOT NULL,
    currency           char(3) NOT NULL REFERENCES currency (code),
    price_list_id      uuid,
    ship_to_country    char(2) NOT NULL REFERENCES country (code),
    language           text NOT NULL CHECK (language <> ''),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (legal_entity_id, account_number),
    UNIQUE (legal_entity_id, id),
    -- the invoice account and price list belong to the same company
    FOREIGN KEY (legal_entity_id, invoice_account_id) REFERENCES customer_account (legal_entity_id, id),
    FOREIGN KEY (legal_entity_id, price_list_id) REFERENCES price_list (legal_entity_id, id)
);
CREATE INDEX customer_account_invoice_account_idx ON customer_account (invoice_account_id);

CREATE TABLE delivery_address (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_account_id uuid NOT NULL REFERENCES customer_account (id) ON DELETE CASCADE,
    position            int NOT NULL,
    description         text NOT NULL CHECK (description <> ''),
    street              text NOT NULL,
    city                text NOT NULL,
    postal_code         text NOT NULL,
    country_code        char(2) NOT NULL REFERENCES country (code),
    UNIQUE (customer_account_id, description)
);

CREATE TABLE product (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    legal_entity_id uuid NOT NULL REFERENCES legal_entity (id),
    number          text NOT NULL CHECK (number <> ''),
    name            text NOT NULL CHECK (name <> ''),
    default_unit    text NOT NULL REFERENCES unit (code),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (legal_entity_id, number),
    UNIQUE (legal_entity_id, id)
);
-- Product search (name or number contains the text) stays index-backed.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX product_search_idx ON product USING gin ((number || ' ' || name) gin_trgm_ops);
-- Keyset pagination order.
CREATE INDEX product_page_idx ON product (number, id);

-- The units a product is sold in; the default unit is one of them.
CREATE TABLE product_unit (
    product_id uuid NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    unit       text NOT NULL REFERENCES unit (code),
    position   int NOT NULL,
    PRIMARY KEY (product_id, unit)
);
ALTER TABLE product ADD CONSTRAINT product_default_unit_fk
    FOREIGN KEY (id, default_unit) REFERENCES product_unit (product_id, unit)
    DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE price (
    price_list_id   uuid NOT NULL,
    legal_entity_id uuid NOT NULL,
    product_id      uuid NOT NULL,
    unit            text NOT NULL,
    unit_price      numeric(19, 4) NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (price_list_id, product_id, unit),
    FOREIGN KEY (legal_entity_id, price_list_id) REFERENCES price_list (legal_entity_id, id) ON DELETE CASCADE,
    FOREIGN KEY (legal_entity_id, product_id) REFERENCES product (legal_entity_id, id) ON DELETE CASCADE,
    FOREIGN KEY (product_id, unit) REFERENCES product_unit (product_id, unit) ON DELETE CASCADE
);
CREATE INDEX price_product_idx ON price (product_id);

-- Web roles; table permissions come with the permissions issue. key names a
-- built-in role for code; administrators may rename it, not delete it.
CREATE TABLE web_role (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key         text UNIQUE,
    name        text NOT NULL CHECK (name <> ''),
    description text NOT NULL DEFAULT '',
    built_in    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX web_role_name_key ON web_role (lower(name));
INSERT INTO web_role (key, name, description, built_in) VALUES
 ('administrators', 'Administrators', 'Full access to the portal, its data, roles, permissions and templates.', true),
 ('authenticated_users', 'Authenticated users', 'Every signed-in contact.', true),
 ('anonymous_users', 'Anonymous users', 'Visitors who are not signed in: public pages only.', true),
 ('customer_representative', 'Customer representative', 'All orders and contacts of its customer account.', true),
 ('authorized_user', 'Authorized user', 'Places orders and sees its own.', true);

CREATE TABLE contact (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    legal_entity_id     uuid REFERENCES legal_entity (id),
    customer_account_id uuid,
    first_name          text NOT NULL,
    last_name           text NOT NULL,
    email               text NOT NULL CHECK (email LIKE '_%@_%'),
    -- own values that override the account's; null inherits
    price_list_id       uuid,
    currency            char(3) REFERENCES currency (code),
    ship_to_country     char(2) REFERENCES country (code),
    language            text,
    password_hash       text,
    disabled            boolean NOT NULL DEFAULT false,
    sync_state          text NOT NULL DEFAULT 'NOT_SENT'
                        CHECK (sync_state IN ('NOT_SENT', 'PENDING', 'SYNCED', 'FAILED')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- an account is always one of the contact's company
    CHECK (customer_account_id IS NULL OR legal_entity_id IS NOT NULL),
    FOREIGN KEY (legal_entity_id, customer_account_id) REFERENCES customer_account (legal_entity_id, id),
    FOREIGN KEY (legal_entity_id, price_list_id) REFERENCES price_list (legal_entity_id, id)
);
CREATE UNIQUE INDEX contact_email_key ON contact (lower(email));
CREATE INDEX contact_account_idx ON contact (customer_account_id, lower(last_name), lower(first_name), id);

CREATE TABLE contact_web_role (
    contact_id  uuid NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    web_role_id uuid NOT NULL REFERENCES web_role (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, web_role_id)
);
CREATE INDEX contact_web_role_role_idx ON contact_web_role (web_role_id);
