-- expect: dangerous
CLUSTER users USING users_pkey;
