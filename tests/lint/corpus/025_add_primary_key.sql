-- expect: dangerous
ALTER TABLE events ADD PRIMARY KEY (id);
