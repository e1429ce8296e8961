-- promo_codes is GLOBAL on a multi-region cluster (ADR 005): read locally everywhere, and every
-- write pays a commit wait and can make readers wait. Counting applications on it made it
-- written on every application, one hot row per popular code. The count is now derived from
-- user_promo_codes (one row per application, in the user's region), through this index.

CREATE INDEX IF NOT EXISTS user_promo_codes_by_code ON user_promo_codes (code);

ALTER TABLE promo_codes DROP CONSTRAINT IF EXISTS promo_codes_times_applied_check;

ALTER TABLE promo_codes DROP COLUMN IF EXISTS times_applied;
