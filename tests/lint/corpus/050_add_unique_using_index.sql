-- expect: safe
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX ux_users_email;
