-- Web Push subscriptions and SMS numbers: the delivery addresses of the push and SMS channels.
-- A browser's push endpoint is unique (the push service issues it for one browser profile); a
-- user signing in on a browser that was subscribed for someone else takes the endpoint over.
CREATE TABLE push_subscriptions (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL,
    -- The browser's P-256 public key (65 bytes, uncompressed) and auth secret (16 bytes),
    -- base64url without padding, as PushSubscription.toJSON() gives them.
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX push_subscriptions_endpoint ON push_subscriptions (endpoint);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id);

-- One SMS number per user, in E.164 (`+821012345678`), validated when set.
CREATE TABLE notification_phones (
    user_id UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    phone TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
