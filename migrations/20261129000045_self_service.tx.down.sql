DROP TABLE contact_profile, password_reset;
