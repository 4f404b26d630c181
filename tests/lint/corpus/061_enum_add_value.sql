-- expect: safe
ALTER TYPE mood ADD VALUE 'meh';
